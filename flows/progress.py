"""Progress a long pull shows while it runs: a Prefect progress artifact and a log line now and then.

A first sync of a real forum paced at Discourse's 60 requests a minute takes a while; the
people watching the run in the UI should see how far it is and about how long is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

__all__ = ["PullProgress"]


class PullProgress:
    """Report ``fraction`` done of one pull; log at most every ``log_every_s`` seconds."""

    def __init__(self, what: str, *, log_every_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._clock = clock
        self._started = clock()
        self._last_log = self._started
        self._log_every_s = log_every_s
        self._artifact: UUID | None = None
        self._last_percent = -1.0

    def update(self, fraction: float, detail: str) -> None:
        """Record progress (0..1); the artifact moves by whole percents, the log by time."""
        fraction = min(max(fraction, 0.0), 1.0)
        percent = round(100 * fraction, 0)
        if percent != self._last_percent:
            self._last_percent = percent
            if self._artifact is None:
                self._artifact = create_progress_artifact(percent, description=f"{self.what}: progress")
            else:
                update_progress_artifact(self._artifact, percent)
        now = self._clock()
        if now - self._last_log >= self._log_every_s or fraction >= 1.0:
            self._last_log = now
            get_run_logger().info("%s: %.0f%% (%s)%s", self.what, 100 * fraction, detail, self._eta(fraction, now))

    def _eta(self, fraction: float, now: float) -> str:
        elapsed = now - self._started
        if fraction <= 0 or fraction >= 1 or elapsed <= 0:
            return ""
        return f", about {elapsed * (1 - fraction) / fraction / 60:.0f} min left"
