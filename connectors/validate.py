"""Checking one record at the connector boundary, so one poison record never stops a sync.

A service's JSON is not trusted: a record may be a string or null instead of an object, a
count may be ``"many"``, an id ``"abc"``, a text may carry NULs or lone surrogates. The
readers here take one field at a time and either return a clean value (text through
`connectors.sanitize.clean_text`) or raise `BadRecord` with a reason a human can act on;
the connector then puts the whole record in its page's ``rejected`` list (`Rejected`) and
the flow quarantines it, once. Only records are judged here: a page whose envelope is not
what the API documents is an error of the call, not of a record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sanitize import clean_text
from scoring.records import Member

__all__ = [
    "BadRecord",
    "MemberPage",
    "Rejected",
    "describe",
    "flag",
    "integer",
    "items",
    "record",
    "text",
]


class BadRecord(ValueError):
    """A record (or a part of it) the connector cannot use; the message is the reason."""


@dataclass(frozen=True)
class Rejected:
    """A record that could not be used, kept with the reason for the quarantine.

    ``ref`` names the record when its id could be read ("post:42", "msg:C1:17…"), else None
    (the quarantine then recognises the record by its payload). ``payload`` is the record
    exactly as received, whatever its type.
    """

    ref: str | None
    reason: str
    payload: Any


@dataclass
class MemberPage:
    """One page of members plus the user records that could not be read.

    Iterates (and counts) as its members, so it can be handed straight to
    ``Store.upsert_members``.
    """

    members: list[Member] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)


def describe(value: Any) -> str:
    """A value's JSON kind and a short excerpt, for reasons: ``a string 'abc'``, ``null``."""
    if value is None:
        return "null"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "an array", dict: "an object"}
    kind = next((name for t, name in kinds.items() if type(value) is t), type(value).__name__)
    if isinstance(value, (list, dict)):
        return kind
    shown = repr(clean_text(value) if isinstance(value, str) else value)
    return f"{kind} {shown[:40]}{'…' if len(shown) > 40 else ''}"


def record(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else BadRecord ("post is not an object but null")."""
    if not isinstance(value, Mapping):
        raise BadRecord(f"{what} is not an object but {describe(value)}")
    return value


def text(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """A text field, cleaned; missing, null or "" give None (BadRecord when ``required``)."""
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise BadRecord(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{key} is not text but {describe(value)}")
    cleaned = clean_text(value)
    if required and not cleaned:
        raise BadRecord(f"{key} is empty once NULs are removed")
    return cleaned or None


def integer(obj: Mapping[str, Any], key: str, *, required: bool = False,
            minimum: int | None = None) -> int | None:
    """An integer field (a JSON number or a string of digits); missing or null give None."""
    value = obj.get(key)
    if value is None:
        if required:
            raise BadRecord(f"{key} is missing")
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.isascii():
        number = int(value)
    else:
        number = None
    if number is None:
        raise BadRecord(f"{key} is not an integer but {describe(value)}")
    if minimum is not None and number < minimum:
        raise BadRecord(f"{key} is below {minimum}: {number}")
    return number


def flag(obj: Mapping[str, Any], key: str) -> bool:
    """A true/false field; missing or null are false, anything but a boolean is BadRecord."""
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRecord(f"{key} is not true/false but {describe(value)}")
    return value


def items(obj: Mapping[str, Any], key: str) -> list[Any]:
    """An array field as a list; missing or null give [], anything else is BadRecord."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"{key} is not an array but {describe(value)}")
    return value
