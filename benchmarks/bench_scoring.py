"""Benchmark of score_members on a synthetic ActivityFrame, against the reference loops.

    python benchmarks/bench_scoring.py                # 1,000,000 members, 10,000,000 activities
    python benchmarks/bench_scoring.py --quick        # a small run (seconds)

The data is generated with numpy's seeded RNG straight into an ActivityFrame: a skewed
member distribution (a few members are very busy, so the reaction cap of 20/day bites), the
type mix of a real community, timestamps spread over 180 days and a few after ``now``, and
bursts of reactions by a few "gaming" members.
See benchmarks/README.md for what the printed figures mean.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.caps import beyond_daily_cap  # noqa: E402
from scoring.frame import ActivityFrame  # noqa: E402
from scoring.model import ScoringModel  # noqa: E402
from scoring.records import ACTIVITY_TYPES, Activity  # noqa: E402
from scoring.score import score_array, score_members  # noqa: E402
from tests.scoring.reference import reference_score_members  # noqa: E402

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAY = 86_400.0

#: Share of each activity type: reactions and replies dominate, premium questions are rare.
TYPE_MIX = {
    "reaction": 0.45,
    "reply": 0.25,
    "thread_started": 0.08,
    "answer": 0.07,
    "webinar_attended": 0.04,
    "feature_request": 0.03,
    "how_to_content": 0.03,
    "premium_feature_question": 0.03,
    "competitor_mention": 0.02,
}
BURST = 40
TARGET_SPEEDUP, TARGET_SECONDS, TARGET_BYTES, TARGET_PASSES = 50.0, 3.0, 2 * 1024**3, 20.0


def make_frame(n_members: int, n_activities: int, seed: int = 20261101) -> ActivityFrame:
    """A seeded synthetic frame: the busiest 1% of members hold about a fifth of the activity,
    and a few members game the reaction count in bursts."""
    rng = np.random.default_rng(seed)
    rank = (n_members * rng.random(n_activities) ** 3).astype(np.int64)  # skewed: low ranks are busy
    member = rng.permutation(n_members).astype(np.int32)[rank]
    names = list(TYPE_MIX)
    type_of_name = np.array([ACTIVITY_TYPES.index(name) for name in names], dtype=np.int8)
    kind = type_of_name[rng.choice(len(names), n_activities, p=list(TYPE_MIX.values()))]
    age_days = rng.random(n_activities) * 180.0
    age_days[rng.random(n_activities) < 0.001] *= -0.005  # ~0.1% a little after now
    # Gaming: 1% of the rows are bursts of 40 reactions within an hour by 0.1% of members.
    bursts = n_activities // 100 // BURST
    if bursts:
        gamers = rng.choice(n_members, max(1, n_members // 1000), replace=False)
        rows = (rng.choice(n_activities // BURST, bursts, replace=False)[:, None] * BURST + np.arange(BURST)).ravel()
        member[rows] = np.repeat(rng.choice(gamers, bursts), BURST)
        kind[rows] = ACTIVITY_TYPES.index("reaction")
        start = np.repeat(rng.random(bursts) * 180.0, BURST)
        age_days[rows] = start + rng.random(bursts * BURST) / 24.0
    seconds = np.round(NOW.timestamp() - age_days * DAY, 3)  # millisecond timestamps
    keys = tuple(f"discourse:{i}" for i in range(n_members))
    return ActivityFrame.from_arrays(keys, member, kind, seconds)


def to_activities(frame: ActivityFrame, count: int) -> list[Activity]:
    """The first ``count`` rows as Activity records, for the reference implementation."""
    return [
        Activity("bench", str(i), frame.member_keys[m], ACTIVITY_TYPES[t], datetime.fromtimestamp(s, timezone.utc))
        for i, (m, t, s) in enumerate(
            zip(frame.member[:count].tolist(), frame.type[:count].tolist(), frame.occurred_at[:count].tolist())
        )
    ]


def best_of(repeats: int, call) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--reference-sample", type=int, default=200_000,
                        help="activities the reference implementation is timed on (default 200,000)")
    parser.add_argument("--mode", choices=["half_life", "step"], default="half_life")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--quick", action="store_true", help="10,000 members, 100,000 activities")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.activities, args.reference_sample = 10_000, 100_000, 20_000
    model = ScoringModel(decay_mode=args.mode)

    start = time.perf_counter()
    frame = make_frame(args.members, args.activities, args.seed)
    n = len(frame)
    up_to_now = frame.occurred_at <= NOW.timestamp()
    caps = np.array([model.weight(t).daily_cap or 0 for t in ACTIVITY_TYPES])
    capped = int(beyond_daily_cap(frame.member, frame.type, frame.occurred_at, up_to_now, caps).sum())
    print(f"data: {args.members:,} members, {n:,} activities over 180 days (seed {args.seed}), "
          f"generated in {time.perf_counter() - start:.1f} s")
    print(f"      {n - int(up_to_now.sum()):,} after now, {capped:,} ({capped / max(n, 1):.1%}) beyond a daily cap; "
          f"model: {args.mode}, reaction cap {model.weight('reaction').daily_cap}/day")

    one_pass, _ = best_of(args.repeats, lambda: (frame.member.max(), frame.type.max(), frame.occurred_at.max()))
    array_seconds, _ = best_of(args.repeats, lambda: score_array(frame, model, NOW))
    seconds, scores = best_of(args.repeats, lambda: score_members(frame, model, NOW))
    tracemalloc.start()
    score_members(frame, model, NOW)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"score_members: {n / seconds:,.0f} activities/s, wall {seconds:.3f} s (best of {args.repeats}), "
          f"{len(scores):,} members scored")
    print(f"score_array: wall {array_seconds:.3f} s (best of {args.repeats}) = {array_seconds / one_pass:,.0f}x "
          f"one pass over the input columns ({one_pass * 1000:.1f} ms: the max of member, type and occurred_at)")
    print(f"memory: {peak / 1024**2:,.0f} MiB peak allocated during one score_members call (tracemalloc); "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB max RSS of the whole run "
          "so far (getrusage, includes the data)")

    sample = min(args.reference_sample, n)
    records = to_activities(frame, sample)
    sample_frame = ActivityFrame.from_activities(records)
    reference_seconds, expected = best_of(1, lambda: reference_score_members(records, model, NOW))
    vector_sample_seconds, found = best_of(args.repeats, lambda: score_members(sample_frame, model, NOW))
    worst = max((abs(found[k] - v) / abs(v) for k, v in expected.items() if v), default=0.0)
    per_activity = reference_seconds / sample
    speedup = per_activity * n / seconds
    print(f"reference: {sample / reference_seconds:,.0f} activities/s on the first {sample:,} activities "
          f"({reference_seconds:.2f} s); extrapolated per activity to {n:,}: {per_activity * n:,.1f} s")
    print(f"speed-up: {speedup:,.0f}x (reference per-activity time extrapolated to the full data vs the "
          f"measured vectorised time); {reference_seconds / vector_sample_seconds:,.0f}x on the "
          f"{sample:,}-activity sample itself; largest relative difference {worst:.1e}")

    checks = [
        (f"speed-up >= {TARGET_SPEEDUP:.0f}x", speedup >= TARGET_SPEEDUP),
        (f"10M activities < {TARGET_SECONDS:.0f} s", seconds * 10_000_000 / n < TARGET_SECONDS),
        ("peak memory < 2 GiB", peak < TARGET_BYTES),
        (f"score_array <= {TARGET_PASSES:.0f}x one pass", array_seconds <= TARGET_PASSES * one_pass),
        ("matches the reference within 1e-9", worst <= 1e-9),
    ]
    print("targets: " + "; ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in checks)
          + ("" if n >= 10_000_000 else f" (time scaled linearly from {n:,})"))
    return 0 if checks[-1][1] else 1


if __name__ == "__main__":
    raise SystemExit(main())
