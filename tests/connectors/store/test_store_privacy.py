"""Forgetting a person, the opt-out list every save path honours, raw-text retention (SQLite + PostgreSQL)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select

from connectors.store import Store
from connectors.store import tables as t
from connectors.store.privacy import FORGET_RULES, PURGED, digest
from connectors.store.redact import PLACEHOLDER, Redactor
from scoring.records import Activity, CrmContact, Match, Member, Resolution, TierState

T0 = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
EMAIL = "Alice.Doe@Acme.com"
TITLE = "Does the enterprise plan include SSO for contractors?"
EXCERPT = "We have forty contractors who would need single sign-on"

ALICE = Member("discourse:1", "discourse", "1", "alice_doe", EMAIL, "Alice Doe", "Acme")
ALICE_SLACK = Member("slack:U1", "slack", "U1", "adoe_slack", EMAIL.lower(), "Alice Doe")
BOB = Member("discourse:2", "discourse", "2", "bob_r", "bob@acme.com", "Bob Roe", "Acme")


def find_text(engine: Engine, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every stored text or JSON value containing a needle (any case).

    A needle counts as a whole word: discourse:13 is not found in discourse:133.
    """
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, needles)) + r")(?!\w)", re.IGNORECASE)
    hits = []
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = value if isinstance(value, str) else (
                        json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else None)
                    if text and pattern.search(text):
                        hits.append((table.name, column, text))
    return hits


def alert_payload(*names: str, title: str = TITLE) -> dict[str, Any]:
    members = ", ".join(f"{n} (40)" for n in names)
    return {"key": "intent:acme:1:slack", "channel": "community-alerts", "kind": "slack_alert",
            "text": f"Acme entered Intent. Top members: {members}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"Top members: {members}"}},
                       {"type": "rich_text", "elements": [{"type": "link", "url": "https://forum/t/1",
                                                           "text": title[:40] + "…"}]}]}


def fill(store: Store) -> None:
    """Alice on Discourse and Slack (one person), Bob replying to her, and everything around them."""
    store.save_page(members=[ALICE, ALICE_SLACK, BOB], activities=[
        Activity("discourse", "p1", ALICE.key, "premium_feature_question", T0, "https://forum/t/1", TITLE, EXCERPT),
        Activity("discourse", "p2", BOB.key, "reply", T0 + timedelta(hours=1), "https://forum/t/1/2", TITLE,
                 "@alice_doe yes, ask Alice Doe's admin"),
        Activity("discourse", "p3", BOB.key, "thread_started", T0 + timedelta(hours=2), "https://forum/t/3",
                 "Webhooks retry policy", "How often do webhooks retry?"),
        Activity("slack", "m1", ALICE_SLACK.key, "reply", T0 + timedelta(hours=3), None, None, "thanks all"),
    ])
    store.upsert_contacts("hubspot", [CrmContact("c1", EMAIL.upper(), "acme", "Alice Doe"),
                                      CrmContact("c2", "bob@acme.com", "acme", "Bob Roe")])
    store.save_resolution(Resolution(
        matches={k: Match(k, "acme", "email_exact", 1.0) for k in (ALICE.key, ALICE_SLACK.key, BOB.key)},
        person_of={ALICE.key: ALICE.key, ALICE_SLACK.key: ALICE.key, BOB.key: BOB.key},
    ))
    store.set_override(ALICE.key, "acme", note="Alice Doe asked to be tied to Acme")
    store.set_override(BOB.key, "acme", note="confirmed by alice.doe@acme.com")
    store.save_tier_states("member", [TierState(ALICE.key, "intent", 80, T0), TierState(BOB.key, "awareness", 20, T0)])
    store.save_tier_states("account", [TierState("acme", "intent", 90, T0, 1)])
    with store.engine.begin() as conn:
        conn.execute(t.signal_state.insert(), [{"signal": "champion", "entity_id": ALICE.key, "started_at": T0},
                                               {"signal": "fast-rising", "entity_id": "acme", "started_at": T0}])
    store.ledger_begin("intent:acme:1:slack", "slack_alert", alert_payload("Alice Doe", "Bob Roe"))
    store.ledger_done("intent:acme:1:slack", "1700000000.000100")
    store.quarantine("discourse", "post 9", "created_at is not a time",
                     {"username": "alice_doe", "raw": "hello", "created_at": "soon"})
    store.quarantine("discourse", "post 10", "created_at is not a time", {"username": "bob_r", "created_at": "x"})


def test_every_table_says_how_it_forgets() -> None:
    assert set(FORGET_RULES) == set(t.metadata.tables)


def test_forgetting_an_email_leaves_no_trace_but_keeps_the_ledger_and_others(store: Store) -> None:
    fill(store)

    report = store.forget(email=" alice.doe@ACME.com ", reason="GDPR ticket 42")

    assert report.members == 2
    assert report.deleted["activities"] == 2 and report.deleted["crm_contacts"] == 1
    needles = [EMAIL, "alice_doe", "adoe_slack", "Alice Doe", ALICE.key, ALICE_SLACK.key, TITLE[:30], EXCERPT[:30]]
    assert find_text(store.engine, needles) == []
    entry = store.ledger_entry("intent:acme:1:slack")
    assert entry is not None and entry.status == "done" and entry.external_id == "1700000000.000100"
    assert entry.payload["text"] == f"Acme entered Intent. Top members: {PLACEHOLDER} (40), Bob Roe (40)"
    assert PLACEHOLDER in entry.payload["blocks"][1]["elements"][0]["text"]
    assert [m.key for m in store.members()] == [BOB.key]
    bob = {a.source_event_id: a for a in store.activities()}
    assert set(bob) == {"p2", "p3"}
    assert bob["p2"].excerpt == f"@{PLACEHOLDER} yes, ask {PLACEHOLDER}'s admin" and bob["p2"].title == PLACEHOLDER
    assert bob["p3"].title == "Webhooks retry policy"
    assert [c.id for c in store.contacts("hubspot")] == ["c2"]
    assert store.overrides() == {BOB.key: "acme"}
    assert store.people() == {BOB.key: BOB.key}
    assert set(store.tier_states("member")) == {BOB.key} and set(store.tier_states("account")) == {"acme"}
    quarantined = {q.ref: q for q in store.quarantined()}
    assert quarantined["post 9"].payload == PLACEHOLDER and quarantined["post 9"].reason == "created_at is not a time"
    assert "bob_r" in quarantined["post 10"].payload
    listed = store.opt_outs()
    assert {o.digest for o in listed} == {digest("email", EMAIL), digest("member", ALICE.key),
                                          digest("member", ALICE_SLACK.key), digest("title", TITLE)}
    assert {o.reason for o in listed} == {"GDPR ticket 42"}


def test_the_opt_out_keeps_them_out_of_every_save_path(store: Store) -> None:
    fill(store)
    store.forget(email=EMAIL)
    later = T0 + timedelta(days=1)
    new_slack = Member("slack:U9", "slack", "U9", "alice2", "ALICE.DOE@acme.com")

    added = store.save_page(members=[ALICE, BOB, new_slack], activities=[
        Activity("discourse", "p4", ALICE.key, "reply", later),
        Activity("discourse", "p5", BOB.key, "reply", later),
        Activity("slack", "m9", new_slack.key, "reply", later),
        Activity("discourse", "p6", BOB.key, "reply", later, "https://forum/t/1/6", TITLE, "one more idea"),
    ], cursor=("discourse:posts", "5"))
    assert added == 2 and store.get_cursor("discourse:posts") == "5"
    assert {a.source_event_id: a.title for a in store.activities()}["p6"] == PLACEHOLDER
    assert store.upsert_members([ALICE_SLACK]) == 0
    assert store.add_activities([Activity("slack", "m10", new_slack.key, "reply", later)]) == 0
    assert store.save_inbound_event("slack", "Ev1", [Activity("slack", "m11", ALICE_SLACK.key, "reply", later)]) == 0
    assert store.save_inbound_event("slack", "Ev1") is None  # the event id is kept: a retry stays a no-op
    store.upsert_contacts("hubspot", [CrmContact("c1", EMAIL, "acme", "Alice Doe")])

    assert [m.key for m in store.members()] == [BOB.key]
    assert {a.member_key for a in store.activities()} == {BOB.key}
    assert [c.id for c in store.contacts("hubspot")] == ["c2"]
    assert store.opted_out([ALICE.key, new_slack.key, BOB.key, "discourse:77"]) == {ALICE.key, new_slack.key}
    assert find_text(store.engine, [EMAIL, "alice_doe", ALICE.key, new_slack.key, TITLE]) == []


def test_forgetting_one_member_key_keeps_their_other_accounts(store: Store) -> None:
    fill(store)

    report = store.forget(member_key=ALICE_SLACK.key)

    assert report.members == 1 and report.digests == (digest("member", ALICE_SLACK.key),)
    assert [m.key for m in store.members()] == [ALICE.key, BOB.key]
    assert {a.member_key for a in store.activities()} == {ALICE.key, BOB.key}
    assert ALICE_SLACK.key not in store.people() and ALICE.key in store.people()
    assert find_text(store.engine, [ALICE_SLACK.key, "adoe_slack"]) == []
    assert {c.id for c in store.contacts("hubspot")} == {"c1", "c2"}  # the email is not forgotten
    store.upsert_members([ALICE_SLACK, ALICE])
    assert [m.key for m in store.members()] == [ALICE.key, BOB.key]


def test_forgetting_someone_unknown_still_keeps_them_out(store: Store) -> None:
    store.forget(member_key="discourse:404")
    assert store.save_page(members=[Member("discourse:404", "discourse", "404", "ghost")],
                           activities=[Activity("discourse", "g1", "discourse:404", "reply", T0)]) == 0
    assert store.members() == [] and store.count_activities() == 0


def test_raw_text_older_than_the_cut_off_is_blanked(store: Store) -> None:
    fill(store)
    with store.engine.begin() as conn:
        conn.execute(t.quarantine.update().where(t.quarantine.c.ref == "post 9").values(created_at=T0))

    counts = store.purge_raw_text(T0 + timedelta(hours=1, minutes=30))

    assert counts == {"activities": 2, "quarantine": 1}
    texts = {a.source_event_id: (a.title, a.excerpt) for a in store.activities()}
    assert texts["p1"] == (None, None) and texts["p2"] == (None, None)
    assert texts["p3"] == ("Webhooks retry policy", "How often do webhooks retry?")
    assert {q.ref: q.payload for q in store.quarantined()}["post 9"] == PURGED
    assert store.count_activities() == 4  # scores keep every activity
    assert store.purge_raw_text(T0 + timedelta(hours=1, minutes=30)) == {"activities": 0, "quarantine": 0}


def test_the_redactor_finds_escaped_names_and_cut_titles_but_not_parts_of_words() -> None:
    r = Redactor(["O'Brien & Co", "ann"], ["A long question about SAML and SCIM provisioning"])
    assert r.text("Top: O&#x27;Brien &amp; Co (4)") == f"Top: {PLACEHOLDER} (4)"
    assert r.text("see @ann; annual plan by Ann") == f"see @{PLACEHOLDER}; annual plan by {PLACEHOLDER}"
    assert r.text("- A long question about SAML and SC…: https://x") == f"- {PLACEHOLDER}…: https://x"
    assert r.json({"a": ["ann", 3, None]}) == {"a": [PLACEHOLDER, 3, None]}
