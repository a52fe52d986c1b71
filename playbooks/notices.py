"""Slack messages and CRM task texts of the plays other than Intent, built one way.

Every play's message is a header, a few labelled fields and some lines of evidence; names
and titles come from the community, so they are escaped once (`playbooks.slack_messages`)
and a member called ``<!channel>`` pings nobody. The owner is mentioned as ``<@U…>`` when
Slack knows their email, else named by email.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from playbooks.intent_messages import TASK_BODY_LIMIT, shorten
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
)

__all__ = ["Notice", "owner_mention"]

NAME_LIMIT = 200
LINE_LIMIT = 300


def owner_mention(slack_id: str | None, email: str | None) -> Escaped:
    """``<@U…>`` when the owner's Slack user is known, else their email, else "no owner"."""
    if slack_id:
        return Escaped(f"<@{escape(slack_id)}>")
    return cut(email or "no owner", NAME_LIMIT)


@dataclass(frozen=True)
class Notice:
    """What a play says: a title, labelled facts (our values and community names) and evidence lines."""

    title: str
    facts: Sequence[tuple[str, str]] = ()
    lines: Sequence[str] = ()
    mention: Escaped | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def slack(self, *, draft: bool = False) -> tuple[str, list[dict[str, Any]]]:
        """Fallback text and Block Kit blocks, within Slack's limits; drafts say so."""
        prefix = "[DRAFT] " if draft else ""
        mention = Escaped(f" {self.mention}") if self.mention else Escaped("")
        text = fallback_text(Escaped(f"{prefix}{escape(self.title)}{mention}"))
        facts = [Escaped(f"*{escape(label)}*\n{cut(value, NAME_LIMIT)}") for label, value in self.facts]
        if self.mention:
            facts.append(Escaped(f"*Owner*\n{self.mention}"))
        blocks: list[dict[str, Any]] = [header(f"{prefix}{self.title}")]
        if facts:
            blocks.append(fields_section(facts))
        if self.lines:
            blocks.append(context([plain(shorten(line, LINE_LIMIT)) for line in self.lines]))
        return text, limit_blocks(blocks)

    def task_body(self) -> str:
        """The CRM task's plain text (the CRM connector escapes it for its own format)."""
        body = [shorten(self.title, LINE_LIMIT), ""] + [f"{label}: {shorten(value, NAME_LIMIT)}" for label, value in self.facts]
        if self.lines:
            body += ["", *(f"- {shorten(line, LINE_LIMIT)}" for line in self.lines)]
        return shorten("\n".join(body), TASK_BODY_LIMIT, one_line=False)
