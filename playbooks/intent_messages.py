"""What an Intent play says: the Slack alert (Block Kit) and the CRM task body.

The alert is built from `playbooks.slack_messages`, which escapes community text once and
then cuts it to Slack's limits. The task body is neutral plain text: each CRM connector
renders it for its field (HubSpot's ``hs_task_body`` is HTML and is escaped there;
Salesforce's ``Task.Description`` is plain text). Every piece of community text is
shortened first, so a 10,000-character account name cannot crowd out the rest.
"""

from __future__ import annotations

from typing import Any

from playbooks.briefs import AccountBrief
from playbooks.slack_messages import (
    Escaped,
    context,
    cut,
    escape,
    fallback_text,
    fields_section,
    header,
    limit_blocks,
    plain,
    rich_link,
    rich_text_list,
    section,
)
from scoring.signals import route

__all__ = ["TASK_BODY_LIMIT", "angle", "intent_alert_blocks", "shorten", "task_body"]

#: Salesforce's ``Task.Description`` holds 32,000 characters; HubSpot's body more.
TASK_BODY_LIMIT = 32_000
NAME_LIMIT = 200
MEMBER_LIMIT = 100
TITLE_LIMIT = 300


def shorten(text: str | None, limit: int, *, one_line: bool = True) -> str:
    """Plain text cut to ``limit`` characters, ending in "…" when cut.

    ``one_line`` folds line breaks and runs of spaces, so a name cannot add lines of its own.
    """
    value = text or ""
    if one_line:
        value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def angle(brief: AccountBrief) -> str:
    """The suggested opening: conversion for free plans, expansion for paid ones."""
    if route(brief.account.plan) == "conversion":
        return "Free-to-paid: offer a walkthrough of the paid features they are asking about."
    return "Expansion: they are on a paid plan; explore a higher tier or more seats."


def intent_alert_blocks(brief: AccountBrief, *, draft: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks of an Intent alert, within Slack's limits."""
    account = brief.account
    name = cut(account.name, NAME_LIMIT)
    if brief.owner_slack_id:
        owner = Escaped(f"<@{escape(brief.owner_slack_id)}>")
    else:
        owner = cut(brief.owner.email if brief.owner and brief.owner.email else "no owner", NAME_LIMIT)
    prefix = "[DRAFT] " if draft else ""
    text = fallback_text(Escaped(f"{prefix}{name} entered Intent (score {brief.score:.0f})"))
    activities = cut(", ".join(f"{t} ×{n}" for t, n in brief.top_activities) or "none", 1000)
    members = Escaped(", ".join(f"{cut(m, MEMBER_LIMIT)} ({s:.0f})" for m, s in brief.top_members) or "none")
    blocks: list[dict[str, Any]] = [
        header(Escaped(f"{prefix}Intent: {escape(account.name)}")),
        fields_section([
            Escaped(f"*Score*\n{brief.score:.0f}"),
            Escaped(f"*Plan*\n{cut(account.plan or 'unknown', NAME_LIMIT)}"),
            Escaped(f"*Owner*\n{owner}"),
            Escaped(f"*Top activities*\n{activities}"),
        ]),
        context([plain(Escaped(f"Top members: {members}"))]),
    ]
    if brief.recent_questions:
        blocks.append(section(Escaped("*Recent questions*")))
        blocks.append(rich_text_list([[rich_link(q.url, q.title or q.excerpt)] for q in brief.recent_questions]))
    blocks.append(section(Escaped(f"*Suggested angle*: {escape(angle(brief))}")))
    return text, limit_blocks(blocks)


def task_body(brief: AccountBrief) -> str:
    """The CRM task's text: plain, line-broken, at most `TASK_BODY_LIMIT` characters."""
    lines = [f"{shorten(brief.account.name, NAME_LIMIT)} crossed into Intent with a community score "
             f"of {brief.score:.0f}.", angle(brief), "", "Top members:"]
    lines += [f"- {shorten(m, MEMBER_LIMIT)} ({s:.0f})" for m, s in brief.top_members]
    if brief.recent_questions:
        lines += ["", "Recent questions:"]
        for q in brief.recent_questions:
            title = shorten(q.title or q.excerpt or "(untitled)", TITLE_LIMIT)
            lines.append(f"- {title}: {q.url}" if q.url else f"- {title}")
    return shorten("\n".join(lines), TASK_BODY_LIMIT, one_line=False)
