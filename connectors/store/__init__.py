"""The state database: members, activities, CRM cache, identity, cursors, tiers, ledger.

SQLite file by default (zero setup), PostgreSQL from a URL, same code; the schema is kept
by Alembic migrations that `Store.open` applies::

    from connectors.store import Store
    # COMMUNITY_SCORING_DATABASE_URL, else ~/.community-scoring/state.db
    with Store.open() as store:
        store.save_page(activities=page, cursor=("discourse:posts", next_cursor))
"""

from __future__ import annotations

from .engine import default_database_url
from .errors import StoreError
from .ledger import LedgerClaim, LedgerEntry
from .quarantine import QuarantineEntry
from .store import Store
from .threads import ThreadChanges

__all__ = ["LedgerClaim", "LedgerEntry", "QuarantineEntry", "Store", "StoreError", "ThreadChanges",
           "default_database_url"]
