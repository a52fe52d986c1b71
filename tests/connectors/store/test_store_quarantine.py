"""The quarantine keeps each bad record once, and no text can fail a write: both backends."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import text

from connectors.store import Store
from connectors.store.engine import make_engine
from connectors.store.migrate import upgrade
from scoring.records import Activity, Member

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
POISON = "nul\x00 and lone \ud800 surrogate"


def test_the_same_record_is_quarantined_once(store: Store) -> None:
    post = {"id": 42, "created_at": "yesterday"}
    assert [store.quarantine("discourse", "post:42", "unreadable created_at", post) for _ in range(3)] == [
        True, False, False]
    # Without a ref the payload is the record's identity.
    assert store.quarantine("slack", None, "message is not an object", "garbage") is True
    assert store.quarantine("slack", None, "message is not an object", "garbage") is False
    assert store.quarantine("slack", None, "message is not an object", "other garbage") is True
    assert store.quarantine("slack", None, "not an object", {"a": [1, None]}) is True
    assert store.quarantine("slack", None, "not an object", {"a": [1, None]}) is False
    # The same ref from another source is another record.
    assert store.quarantine("slack", "post:42", "whatever", {}) is True
    kept = [(e.source, e.ref, e.reason) for e in store.quarantined()]
    assert kept == [
        ("discourse", "post:42", "unreadable created_at"),
        ("slack", None, "message is not an object"),
        ("slack", None, "message is not an object"),
        ("slack", None, "not an object"),
        ("slack", "post:42", "whatever"),
    ]


def test_poison_payloads_are_kept_exactly_as_received(store: Store) -> None:
    record = {"id": 7, "raw": POISON, "ke\x00y": ["\udfff"], "name": "Zoë 👋"}
    assert store.quarantine("discourse", "post:7", f"reason with {POISON}", record)
    [entry] = store.quarantined()
    assert json.loads(entry.payload) == record  # NUL and surrogates survive as JSON escapes
    assert "Zoë 👋" in entry.payload  # unicode stays readable
    assert "\x00" not in entry.reason and "\ud800" not in entry.reason
    # A text payload and a ref with poison are cleaned, not refused.
    assert store.quarantine("slack", "msg:C1:\x00", "bad", "raw \x00 body \ud800")
    assert store.quarantined()[1].payload == "raw  body \ufffd"
    assert store.quarantined()[1].ref == "msg:C1:"


def test_text_columns_clean_what_they_are_given(store: Store) -> None:
    """The last line: what reaches the store uncleaned is stored cleaned, never refused."""
    member = Member("discourse:1", "discourse", "1", "ann\x00", "ann@acme.test", name=POISON)
    assert store.upsert_members([member]) == 1
    [stored] = store.members()
    assert stored.username == "ann" and stored.name == "nul and lone \ufffd surrogate"
    activity = Activity("discourse", "post:1", "discourse:1", "reply", T0, url=None,
                        title="ti\x00tle \ud83d", excerpt="body\x00")
    assert store.add_activities([activity]) == 1
    assert store.add_activities([activity]) == 0  # cleaned the same way: still one activity
    [kept] = store.activities()
    assert (kept.title, kept.excerpt) == ("title \ufffd", "body")
    entry = store.ledger_begin("k\x00", "crm_task", {"note": POISON, "list": ["\x00"]})
    assert entry.key == "k" and entry.payload == {"note": "nul and lone \ufffd surrogate", "list": [""]}


def test_migration_0005_fingerprints_and_dedupes_existing_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    insert = text("INSERT INTO quarantine (source, ref, reason, payload, created_at)"
                  " VALUES (:s, :r, :why, :p, :t)")
    rows = [
        {"s": "discourse", "r": "post:1", "why": "first", "p": "{}"},
        {"s": "discourse", "r": "post:1", "why": "again", "p": "{\"x\": 1}"},
        {"s": "discourse", "r": "post:1", "why": "and again", "p": "{}"},
        {"s": "slack", "r": "post:1", "why": "other source", "p": "{}"},
        {"s": "slack", "r": None, "why": "no ref", "p": "\"garbage\""},
        {"s": "slack", "r": None, "why": "no ref twice", "p": "\"garbage\""},
        {"s": "slack", "r": None, "why": "no ref, other payload", "p": "null"},
    ]
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(insert, [row | {"t": T0} for row in rows])
        upgrade(engine)
    finally:
        engine.dispose()
    with Store.open(database_url) as store:
        kept = [(e.source, e.ref, e.reason) for e in store.quarantined()]
        assert kept == [("discourse", "post:1", "first"), ("slack", "post:1", "other source"),
                        ("slack", None, "no ref"), ("slack", None, "no ref, other payload")]
        # Rows from before the migration are recognised by the store's own fingerprint.
        assert store.quarantine("discourse", "post:1", "once more", {}) is False
        assert store.quarantine("slack", None, "once more", "\"garbage\"") is False
        assert store.quarantine("slack", None, "new", "fresh garbage") is True
