"""sObject Collections: batch writes of up to 200 records a call, one result per record.

``POST composite/sobjects`` creates, ``PATCH`` updates; with ``allOrNone`` false Salesforce
saves each record on its own and answers a list of ``{id, success, errors}`` in the order
sent, so a refusal names exactly the record refused. More than 200 records in one call is
refused as a whole (EXCEEDED_ID_LIMIT): the records go in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from connectors.batch import BatchResult

__all__ = ["COLLECTION_SIZE", "save_collection"]

#: Records per sObject Collections call (Salesforce's limit).
COLLECTION_SIZE = 200

#: ``send(method, body)`` → the call's decoded answer (a list of per-record results).
Send = Callable[[str, dict[str, Any]], Any]


def save_collection(
    send: Send,
    method: str,
    keys: Sequence[str],
    records: Sequence[dict[str, Any]],
    already_done: Collection[str] = frozenset(),
) -> BatchResult:
    """Save ``records`` in chunks; ``keys[i]`` names ``records[i]`` in the result.

    A refusal whose error codes are all in ``already_done`` counts as done (the record is
    already as wanted, e.g. DUPLICATE_VALUE for a campaign membership). A record the answer
    has no result for is failed. Errors of a whole call propagate from ``send``.
    """
    if len(keys) != len(records):
        raise ValueError("one key per record")
    done: list[str] = []
    failed: dict[str, str] = {}
    for start in range(0, len(records), COLLECTION_SIZE):
        chunk = list(records[start:start + COLLECTION_SIZE])
        results = send(method, {"allOrNone": False, "records": chunk}) or []
        for index, key in enumerate(keys[start:start + COLLECTION_SIZE]):
            result = results[index] if index < len(results) else {}
            errors = result.get("errors") or []
            codes = {str(e.get("statusCode")) for e in errors}
            if result.get("success") or (codes and codes <= set(already_done)):
                done.append(key)
            else:
                failed[key] = "; ".join(
                    f"{e.get('statusCode')}: {e.get('message')}" for e in errors
                ) or "no result for this record"
    return BatchResult(done, failed)
