"""The Intent alert and task body from hostile community text (pure; the emulator check is in
tests/connectors/test_slack.py)."""

import json
from datetime import datetime, timedelta, timezone

from connectors.testing._block_kit import block_errors
from playbooks.briefs import AccountBrief
from playbooks.intent_messages import TASK_BODY_LIMIT, intent_alert_blocks, task_body
from scoring import Activity, CrmAccount, CrmOwner

NOW = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def hostile_brief(name: str = "&<>" * 100, url: str | None = None) -> AccountBrief:
    questions = [Activity("slack", f"m:{i}", "slack:U1", "premium_feature_question", NOW - timedelta(hours=i),
                          url=url, title=f"<!channel> & SSO {i}" * 50) for i in range(3)]
    return AccountBrief(
        account=CrmAccount("42", name, "acme.example", owner_id="7", plan="<free>&", value=5000),
        score=88.0, top_members=[("<!channel>", 60.0), ("Eve <!here>", 30.0), ("x" * 5000, 20.0)],
        top_activities=[("premium_feature_question", 3)], recent_questions=questions,
        last_activity_at=NOW, owner=CrmOwner("7", "sdr@vendor.example"), owner_slack_id="U7",
    )


def test_hostile_alert_is_within_block_kit_limits() -> None:
    text, blocks = intent_alert_blocks(hostile_brief(), draft=True)
    assert block_errors(blocks) == []
    assert len(blocks[0]["text"]["text"]) <= 150 and blocks[0]["text"]["text"].startswith("[DRAFT] Intent: &amp;&lt;")
    assert len(text) <= 3000


def test_member_names_are_escaped_once() -> None:
    _, blocks = intent_alert_blocks(hostile_brief())
    raw = json.dumps(blocks)
    assert "&lt;!channel&gt; (60)" in raw and "Eve &lt;!here&gt; (30)" in raw
    assert "&amp;lt;" not in raw and "&amp;gt;" not in raw
    assert "<!channel>" not in raw and "<!here>" not in raw


def test_questions_without_url_are_text_not_empty_links() -> None:
    _, blocks = intent_alert_blocks(hostile_brief(url=None))
    [rich] = [b for b in blocks if b["type"] == "rich_text"]
    items = [e for section in rich["elements"][0]["elements"] for e in section["elements"]]
    assert [e["type"] for e in items] == ["text"] * 3
    _, linked = intent_alert_blocks(hostile_brief(url="https://forum.example/t/1"))
    assert '"url": "https://forum.example/t/1"' in json.dumps(linked) and '"url": ""' not in json.dumps(linked)


def test_task_body_is_plain_bounded_and_one_line_per_item() -> None:
    body = task_body(hostile_brief(name="Acme\n- fake line " + "z" * 50_000))
    assert len(body) <= TASK_BODY_LIMIT and "&amp;" not in body  # neutral: each CRM renders it
    assert "\n- fake line" not in body  # a name cannot add lines of its own
    assert body.count("\n- ") == 3 + 3  # three members, three questions
