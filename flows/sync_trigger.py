"""Signal → play in seconds: a receiver that stores activity asks for a sync through a Prefect event.

The ``community-sync`` deployment has a trigger on ``community-scoring.activity.stored``
(prefect.yaml), so a post or a like that arrives through a receiver starts a sync at once
instead of waiting for the 15-minute schedule; the play goes out through the same ledger.
A burst (a thread of replies, a hundred likes) is one run, not a hundred: the first
activity emits at once, the rest of the next ``coalesce_seconds`` emit once more when the
window closes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["EVENT", "SyncTrigger", "prefect_emitter"]

log = logging.getLogger("flows.sync_trigger")
EVENT = "community-scoring.activity.stored"

#: ``(source, activities since the last emit)``: what sends the event.
Emit = Callable[[str, int], None]


def prefect_emitter() -> Emit | None:
    """Emit through the Prefect API the worker uses; None without one (an ephemeral server has no trigger)."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return None
    from prefect.events import emit_event

    def emit(source: str, activities: int) -> None:
        emit_event(event=EVENT, resource={"prefect.resource.id": f"community-scoring.source.{source}"},
                   payload={"activities": activities})

    return emit


class SyncTrigger:
    """Coalesces ``notify`` calls into at most two emits per ``coalesce_seconds`` (leading and trailing)."""

    def __init__(self, source: str, emit: Emit, coalesce_seconds: float = 20.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self._emit = emit
        self.window = coalesce_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._waiting = 0
        self._timer: threading.Timer | None = None

    def notify(self, stored: int) -> None:
        """``stored`` activities were just stored: ask for a sync now, or when the window closes."""
        if stored <= 0:
            return
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._last >= self.window:
                self._last, count = now, stored
            else:
                self._waiting += stored
                if self._timer is None:
                    self._timer = threading.Timer(self._last + self.window - now, self._trailing)
                    self._timer.daemon = True
                    self._timer.start()
                return
        self._send(count)

    def _trailing(self) -> None:
        with self._lock:
            count, self._waiting, self._timer = self._waiting, 0, None
            self._last = self._clock()
        self._send(count)

    def _send(self, count: int) -> None:
        try:
            self._emit(self.source, count)
        except Exception as err:  # noqa: BLE001 - the activity is stored; the schedule still plays it
            log.warning("could not ask for a sync (%s); the next scheduled sync plays it", err)

    def close(self) -> None:
        """Send what is waiting now (on shutdown)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            self._trailing()

