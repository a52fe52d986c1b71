"""The one retry and pacing policy every service shares.

tenacity retries only :class:`RetryableError` (429, 5xx, timeouts, dropped connections),
waits what the service asked for in ``Retry-After`` when it said, else exponential backoff
with jitter. The client libraries' own retries are switched off where they can be, so
attempts do not multiply. ``sleep`` and ``clock`` are injectable: tests wait for nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import tenacity

from connectors.errors import RetryableError

__all__ = ["Pacer", "RetryPolicy", "WaitRetryAfterOrBackoff"]

T = TypeVar("T")
log = logging.getLogger("connectors.retry")


class WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """Wait ``Retry-After`` when the error carries one (capped), else exponential jitter."""

    def __init__(self, initial: float = 0.5, maximum: float = 60.0) -> None:
        self.maximum = maximum
        self.backoff = tenacity.wait_random_exponential(multiplier=initial, max=maximum)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return min(error.retry_after, self.maximum)
        return self.backoff(retry_state)


class RetryPolicy:
    """Run a call, retrying transient failures of one service."""

    def __init__(
        self,
        service: str,
        *,
        attempts: int = 5,
        initial_wait: float = 0.5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.attempts = attempts
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            wait=WaitRetryAfterOrBackoff(initial_wait, max_wait),
            stop=tenacity.stop_after_attempt(attempts),
            sleep=sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.1fs",
            self.service, state.attempt_number, error, wait,
        )

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``fn(*args, **kwargs)`` with retries; the last error is raised unchanged."""
        return self._retrying(fn, *args, **kwargs)


class Pacer:
    """Spaces calls to at most ``per_minute`` a minute (0 = unpaced), across threads.

    ``shared`` waits for a budget shared with other processes (a Prefect rate limit, see
    `flows.rate_limits`); the local spacing stays, so a process never goes faster alone.
    """

    def __init__(
        self,
        per_minute: float = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: Callable[[], None] | None = None,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._shared = shared
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed."""
        if self._shared is not None:
            self._shared()
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            self._sleep(delay)
