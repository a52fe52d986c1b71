"""Hold the state database's ``pull`` lease while a run pulls, renewed in the background.

The backfill, the scheduled sync and a sync started from a shell share one database and
one API budget: the run that holds the lease pulls, the others stand aside at once (the
collision strategy is "skip the newcomer", so scheduled runs never pile up behind a long
backfill). A crashed holder's lease runs out after ``ttl``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from connectors.store import StoreError
from flows.preflight import open_store

__all__ = ["PULL_LEASE", "held_lease", "run_owner"]

PULL_LEASE = "pull"


def run_owner() -> str:
    """Who is asking: the flow run (named, so the one standing aside can say who holds it), else this process."""
    from prefect.runtime import flow_run

    name, run_id = flow_run.get_name(), flow_run.get_id()
    if run_id:
        return f"flow run {name} ({run_id})"
    return f"process {os.getpid()} on {socket.gethostname()}"


@contextmanager
def held_lease(database_block: str | None, owner: str, *, name: str = PULL_LEASE,
               ttl: timedelta = timedelta(minutes=5)) -> Iterator[str | None]:
    """Yield None while ``owner`` holds the lease (renewed every ttl/5), else the owner who holds it."""
    store = open_store(database_block)
    try:
        if not store.try_lease(name, owner, ttl):
            yield store.lease_holder(name) or "another run"
            return
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(ttl.total_seconds() / 5):
                try:
                    store.try_lease(name, owner, ttl)
                except StoreError:  # a blip: the next beat tries again before the lease runs out
                    continue

        beat = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
        beat.start()
        try:
            yield None
        finally:
            stop.set()
            beat.join()
            store.release_lease(name, owner)
    finally:
        store.close()
