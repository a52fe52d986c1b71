"""The outcome of a batch write whose items succeed or fail one by one.

HubSpot answers a batch with 207 Multi-Status and Salesforce's sObject Collections with one
result per record (``allOrNone`` false): the items that failed are named, so exactly those
are tried again and the others are done.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BatchResult"]


class BatchResult(NamedTuple):
    """Ids written, and id → the service's reason for the ones refused."""

    done: list[str]
    failed: dict[str, str]
