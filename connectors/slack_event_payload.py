"""The ``event`` of a Slack ``event_callback`` → source events, or the reason it cannot be.

Slack signs what it sends, but a signed payload can still be unusable: a non-object event,
ids with NUL bytes or lone surrogates, a ``ts`` that is a number, a channel Slack does not
know. Such a *poison* event must be answered 200 and quarantined once (Slack re-delivers
anything else up to three times), so this module checks every field a source event is built
from and raises `PoisonEvent` with a reason a human can act on. Identifiers become keys
(``msg:{channel}:{ts}``), so they must be plain tokens; free text is cleaned instead of
refused (`connectors.sanitize.clean_text`: a NUL in a message is no reason to lose it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from connectors.sanitize import clean_text
from connectors.slack_source import events_from_message, parse_ts, reaction_event
from scoring.records import SourceEvent

__all__ = ["PoisonEvent", "is_slack_id", "source_events"]

#: Slack ids (U…, C…, Ev…) as they may appear inside our keys: no separators, no controls.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: An emoji name (``+1``, ``skin-tone-2``, ``heart::skin-tone-3``): printable, no spaces.
_REACTION = re.compile(r"[^\s\x00-\x1f\x7f\ud800-\udfff]{1,100}")


class PoisonEvent(ValueError):
    """A signed event that can never become activities; the message is the reason."""


def is_slack_id(value: Any) -> bool:
    """True for a string that is usable as a Slack id inside our keys."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _id(obj: Mapping[str, Any], field: str, *, required: bool = True) -> str | None:
    value = obj.get(field)
    if value is None and not required:
        return None
    if not is_slack_id(value):
        raise PoisonEvent(f"{field} is not a Slack id: {_show(value)}")
    return value


def _ts(obj: Mapping[str, Any], field: str, *, required: bool = True) -> str | None:
    value = obj.get(field)
    if value is None and not required:
        return None
    try:
        parse_ts(value)
    except ValueError:
        raise PoisonEvent(f"{field} is not a Slack ts: {_show(value)}") from None
    return value


def _text(obj: Mapping[str, Any], field: str) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PoisonEvent(f"{field} is not text: {type(value).__name__}")
    return clean_text(value)


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PoisonEvent(f"{what} is not an object: {type(value).__name__}")
    return value


def _show(value: Any) -> str:
    """A value for a reason: short, and storable whatever it holds."""
    return clean_text(repr(value))[:80]


def source_events(event: Any, channel_name: Callable[[str], str | None]) -> list[SourceEvent]:
    """The source events of one Events API ``event``; `PoisonEvent` when it is unusable.

    Event types other than ``message`` and ``reaction_added`` give nothing. ``channel_name``
    is asked only when there is something to store; None from it means Slack does not know
    the channel (poison), while a failure to ask (network, auth) propagates unchanged.
    """
    event = _object(event, "event")
    kind = event.get("type")
    if not isinstance(kind, str):
        raise PoisonEvent(f"event type is not a string: {_show(kind)}")
    if kind not in _READERS:
        return []
    try:
        channel, events = _READERS[kind](event)
    except PoisonEvent:
        raise
    except ValueError as err:  # what slack_source's own checks refuse
        raise PoisonEvent(f"unreadable {kind}: {err}") from None
    if not events:
        return []
    name = channel_name(channel)
    if name is None:
        raise PoisonEvent(f"unknown channel {channel}")
    return [replace(e, category=clean_text(name)) for e in events]


def _message(event: Mapping[str, Any]) -> tuple[str, list[SourceEvent]]:
    channel = _id(event, "channel")
    subtype = event.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise PoisonEvent(f"subtype is not a string: {_show(subtype)}")
    message = {
        "ts": _ts(event, "ts"),
        "thread_ts": _ts(event, "thread_ts", required=False),
        "user": _id(event, "user", required=False),
        "parent_user_id": _id(event, "parent_user_id", required=False),
        "text": _text(event, "text"),
        "subtype": subtype,
        "bot_id": event.get("bot_id"),
        "bot_profile": event.get("bot_profile"),
        "reactions": _reactions(event.get("reactions")),
    }
    return channel, events_from_message(message, channel, None)


def _reactions(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PoisonEvent(f"reactions is not a list: {type(value).__name__}")
    reactions = []
    for item in value:
        item = _object(item, "a reaction")
        name, users = item.get("name"), item.get("users") or []
        if not isinstance(name, str) or _REACTION.fullmatch(name) is None:
            raise PoisonEvent(f"reaction name is not an emoji name: {_show(name)}")
        if not isinstance(users, list) or not all(is_slack_id(u) for u in users):
            raise PoisonEvent(f"reaction users are not Slack ids: {_show(users)}")
        reactions.append({"name": name, "users": users})
    return reactions


def _reaction(event: Mapping[str, Any]) -> tuple[str, list[SourceEvent]]:
    item = _object(event.get("item"), "item")
    if item.get("type") != "message":  # reactions to files and file comments score nothing
        return "", []
    channel = _id(item, "channel")
    ts = _ts(item, "ts")
    user = _id(event, "user")
    reaction = event.get("reaction")
    if not isinstance(reaction, str) or _REACTION.fullmatch(reaction) is None:
        raise PoisonEvent(f"reaction is not an emoji name: {_show(reaction)}")
    event_ts = _ts(event, "event_ts", required=False)
    when = parse_ts(event_ts) if event_ts else None
    return channel, [reaction_event(channel, None, ts, user, reaction,
                                    item_user=_id(event, "item_user", required=False), occurred_at=when)]


_READERS: dict[str, Callable[[Mapping[str, Any]], tuple[str, list[SourceEvent]]]] = {
    "message": _message,
    "reaction_added": _reaction,
}
