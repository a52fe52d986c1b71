"""Exceptions of the pure core.

ScoringError
 └── (raised for input the core cannot score: naive datetimes, invalid rules)
"""

__all__ = ["ScoringError"]


class ScoringError(ValueError):
    """Input the scoring core cannot work with; the message says what to fix."""
