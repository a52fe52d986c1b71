"""`Notice`: one Slack builder for every play other than Intent, escaping community text once."""

from __future__ import annotations

import json

from playbooks.notices import Notice, owner_mention
from playbooks.owners import Directory
from playbooks.slack_messages import Escaped

from ._plays import NASTY, directory

NOTICE = Notice(title=f"New champion: {NASTY}", facts=[("Account", NASTY), (NASTY, "x")],
                lines=[f"{NASTY} said hi"], mention=Escaped("<@U7>"))


def test_community_text_is_escaped_everywhere_in_slack() -> None:
    text, blocks = NOTICE.slack()
    raw = text + json.dumps(blocks)
    assert "<!channel>" not in raw and raw.count("&lt;!channel&gt; &amp; co") == 5
    assert text == "New champion: &lt;!channel&gt; &amp; co <@U7>"
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    assert [f["text"] for f in blocks[1]["fields"]] == [
        "*Account*\n&lt;!channel&gt; &amp; co", "*&lt;!channel&gt; &amp; co*\nx", "*Owner*\n<@U7>"]


def test_drafts_say_so() -> None:
    text, blocks = NOTICE.slack(draft=True)
    assert text.startswith("[DRAFT] New champion:") and blocks[0]["text"]["text"].startswith("[DRAFT] ")


def test_a_bare_notice_is_a_header_only() -> None:
    text, blocks = Notice(title="Hello").slack()
    assert text == "Hello" and blocks == [{"type": "header", "text": {"type": "plain_text", "text": "Hello",
                                                                      "emoji": False}}]


def test_the_task_body_is_plain_text() -> None:
    assert NOTICE.task_body() == (f"New champion: {NASTY}\n\nAccount: {NASTY}\n{NASTY}: x\n\n- {NASTY} said hi")


def test_long_names_are_cut_within_slacks_limits() -> None:
    long = "&" * 400
    _, blocks = Notice(title=long, facts=[("Name", long)]).slack()
    assert len(blocks[0]["text"]["text"]) <= 150 and len(blocks[1]["fields"][0]["text"]) <= 2000
    assert "&amp;" in blocks[1]["fields"][0]["text"] and "&" not in blocks[1]["fields"][0]["text"].replace("&amp;", "")


def test_owners_are_mentioned_by_slack_id_else_escaped_email_else_no_owner() -> None:
    assert owner_mention("U7", "rep@vendor.example") == "<@U7>"
    assert owner_mention(None, "<!here>@vendor.example") == "&lt;!here&gt;@vendor.example"
    assert owner_mention(None, None) == "no owner"
    assert directory().mention("7") == "<@U7>"
    assert Directory().mention("7") == "no owner" and Directory().mention(None) == "no owner"


def test_a_name_cannot_add_lines_to_the_task_body() -> None:
    body = Notice(title="New champion: Ann\nAccount: Someone else", facts=[("Account", "Acme")]).task_body()
    assert body.splitlines() == ["New champion: Ann Account: Someone else", "", "Account: Acme"]
