"""The Slack connector through slack-sdk against the emulator: exactly-once posting."""

import json

import pytest
from slack_sdk import WebClient

from connectors.errors import AuthError, InvalidRequestError, NotFoundError
from connectors.retry import RetryPolicy
from connectors.slack import SlackNotifier


def notifier(slack, slept=None, token="xoxb-test") -> SlackNotifier:
    client = WebClient(token=token, base_url=slack.base_url + "/api/", retry_handlers=[])
    return SlackNotifier(client, policy=RetryPolicy("slack", attempts=4,
                                                    sleep=slept.append if slept is not None else lambda s: None))


def test_post_carries_the_key_and_can_be_found(slack):
    n = notifier(slack)
    posted = n.post_once("community-alerts", key="k1", text="hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    assert n.find_message("community-alerts", "k1") == posted
    assert n.find_message("community-alerts", "other") is None
    [message] = slack.messages("community-alerts")
    assert message["metadata"]["event_payload"]["action_key"] == "k1"


def test_429_then_success_waits_retry_after(slack):
    slept: list[float] = []
    slack.faults.add(path="/api/chat.postMessage", status=429, retry_after=2)
    notifier(slack, slept).post_once("community-alerts", key="k", text="x")
    assert slept == [2.0] and len(slack.messages("community-alerts")) == 1


def test_500_then_success(slack):
    slept: list[float] = []
    slack.faults.add(path="/api/chat.postMessage", status=500)
    notifier(slack, slept).post_once("community-alerts", key="k", text="x")
    assert len(slept) == 1 and len(slack.messages("community-alerts")) == 1


def test_lost_response_is_not_posted_twice(slack):
    """Slack accepted the message but the answer was lost: the retry finds it instead."""
    slack.faults.add(path="/api/chat.postMessage", lose_response=True)
    posted = notifier(slack).post_once("community-alerts", key="once", text="x")
    messages = slack.messages("community-alerts")
    assert len(messages) == 1 and messages[0]["ts"] == posted.ts


def test_maybe_sent_earlier_checks_history_first(slack, now):
    n = notifier(slack)
    first = n.post_once("community-alerts", key="crash", text="x")
    again = n.post_once("community-alerts", key="crash", text="x", maybe_sent_since=now.replace(year=2000))
    assert again == first and len(slack.messages("community-alerts")) == 1


def test_user_lookup_and_errors(slack, community):
    n = notifier(slack)
    owner = community.owners[0]
    assert n.user_id_for_email(owner.email) == owner.slack_user_id
    assert n.user_id_for_email("nobody@nowhere.example") is None
    with pytest.raises(NotFoundError):
        n.post_once("no-such-channel", key="k", text="x")
    with pytest.raises(AuthError):
        notifier(slack, token="xoxb-wrong").post_once("community-alerts", key="k", text="x")


def test_hostile_intent_alert_passes_slacks_block_checks(slack, now):
    """A 300-character name of & < >, members named <!channel>, questions without URLs: the
    alert built from them is accepted by the emulator's Block Kit checks, through slack-sdk."""
    from datetime import timedelta

    from playbooks.briefs import AccountBrief
    from playbooks.intent_messages import intent_alert_blocks
    from scoring import Activity, CrmAccount, CrmOwner

    questions = [Activity("slack", f"m{i}", "slack:U1", "premium_feature_question", now - timedelta(hours=i),
                          url=None, title="<!channel> pricing & SSO?") for i in range(3)]
    brief = AccountBrief(
        account=CrmAccount("42", "&<>" * 100, None, owner_id="7", plan="free", value=1.0), score=91.0,
        top_members=[("<!channel>", 50.0), ("Eve <!channel>", 41.0)], top_activities=[("reply", 4)],
        recent_questions=questions, last_activity_at=now, owner=CrmOwner("7", "o@v.example"),
        owner_slack_id="U7")
    text, blocks = intent_alert_blocks(brief)
    n = notifier(slack)
    n.post_once("community-alerts", key="intent:42:1:slack", text=text, blocks=blocks)
    [message] = slack.messages("community-alerts")
    assert message["blocks"] == blocks
    shown = json.dumps(message["blocks"])
    assert "<!channel>" not in shown and "&amp;lt;" not in shown and '"url": ""' not in shown
    assert "Eve &lt;!channel&gt; (41)" in shown


def test_a_header_of_151_characters_is_refused_with_slacks_reason(slack):
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "&" * 151}}]
    with pytest.raises(InvalidRequestError, match=r"invalid_blocks.*must be less than 151 characters"):
        notifier(slack).post_once("community-alerts", key="k", text="x", blocks=blocks)
    assert slack.messages("community-alerts") == []
