"""Per-group sums that are the same bit for bit whatever the order of the values.

Floating-point addition is not associative, so ``np.bincount(group, weights=values)`` can
change in the last bits when the rows are shuffled. Here each value is cut into two integer
limbs of a fixed-point grid anchored at the largest value of its group, the limbs are summed
as int64 (exact, so order-free) and the two totals are turned back into one float.

Precision: every value keeps ``2 * L`` bits below its group's largest power of two, with
``L = 62 - bit_length(len(values))`` (76 bits for 10 million rows), so a group's relative
error is at most ``n_group * 2**(-2 * L)`` plus the final rounding — far below 1e-9.
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_sums"]

_EXPONENT_SHIFT = 52
_EXPONENT_BIAS_PLUS_ONE = 1022
#: Rows per block: large enough to amortise numpy's per-call cost, small enough that the
#: temporaries stay in cache and are reused rather than freshly mapped for every step.
BLOCK = 1 << 18


def group_sums(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per ``group`` index (0..n_groups-1); values must be finite and >= 0."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    n = values.size
    limb = 62 - int(n).bit_length()
    # Biased binary exponent E of each value: value < 2**(E - 1022), subnormals and 0 included.
    top = np.zeros(n_groups, dtype=np.int64)
    exponent = np.empty(min(n, BLOCK), dtype=np.int64)
    for lo in range(0, n, BLOCK):
        e = exponent[: min(BLOCK, n - lo)]
        np.right_shift(values[lo : lo + BLOCK].view(np.int64), _EXPONENT_SHIFT, out=e)
        np.maximum.at(top, group[lo : lo + BLOCK], e)
    high_sum = np.zeros(n_groups, dtype=np.int64)
    low_sum = np.zeros(n_groups, dtype=np.int64)
    scaled = np.empty(exponent.size, dtype=np.float64)
    part = np.empty(exponent.size, dtype=np.int64)
    for lo in range(0, n, BLOCK):
        size = min(BLOCK, n - lo)
        g, x, p = group[lo : lo + size], scaled[:size], part[:size]
        shift = np.take(top, g, out=exponent[:size])
        np.subtract(limb + _EXPONENT_BIAS_PLUS_ONE, shift, out=shift)
        np.ldexp(values[lo : lo + size], shift, out=x)  # in [0, 2**limb): exact, only the exponent moves
        np.copyto(p, x, casting="unsafe")  # truncation = floor, as x >= 0
        np.add.at(high_sum, g, p)
        np.subtract(x, p, out=x)  # the fraction: exact
        np.ldexp(x, limb, out=x)
        np.copyto(p, x, casting="unsafe")
        np.add.at(low_sum, g, p)
    scale = top - (_EXPONENT_BIAS_PLUS_ONE + limb)
    return np.ldexp(high_sum.astype(np.float64), scale) + np.ldexp(low_sum.astype(np.float64), scale - limb)
