"""The SOQL subset the Salesforce emulator understands, and its error type.

Enough of SOQL for what the connector sends: SELECT fields (relationship paths included)
FROM one object, WHERE with AND/OR/parentheses, = != < > <= >= IN and quoted strings with
the escapes ``format_soql`` produces, ORDER BY, LIMIT. An id field compared with a string
that is no id (``Id IN ('abc')``) is INVALID_QUERY_FILTER_OPERATOR, as in Salesforce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.testing.salesforce_data import FIELDS, RELATIONSHIPS

__all__ = ["SalesforceApiError", "SoqlQuery", "parse_soql"]


class SalesforceApiError(Exception):
    """An error the emulator answers as ``[{"message", "errorCode", "fields"}]``."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []



# -- SOQL subset -------------------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:\\.|[^'\\])*')
   |(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
   |(?P<date>\d{4}-\d{2}-\d{2})
   |(?P<num>-?\d+(?:\.\d+)?)
   |(?P<op>!=|<>|<=|>=|=|<|>)
   |(?P<punct>[(),])
   |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.VERBOSE)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def _unquote_soql(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_UNESCAPE.get(nxt, nxt if nxt in "'\"\\%_" else "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _malformed(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "MALFORMED_QUERY", message)


@dataclass
class SoqlQuery:
    """A parsed query: canonical field names, the filter as a predicate, order and limit."""

    sobject: str
    fields: list[str]
    where: Any = None  # nested tuples: ("and"|"or", [..]), ("not", c), ("cmp", field, op, value)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


class _Parser:
    def __init__(self, soql: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos, text = 0, soql.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise _malformed(f"unexpected token: '{text[pos:pos + 20]}'")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self, *words: str) -> bool:
        if self.i >= len(self.tokens):
            return False
        kind, value = self.tokens[self.i]
        return not words or (kind == "word" and value.upper() in words) or value in words

    def take(self, *words: str) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _malformed(f"unexpected end of query, expecting {' or '.join(words) or 'more'}")
        token = self.tokens[self.i]
        if words and not self.peek(*words):
            raise _malformed(f"unexpected token: '{token[1]}', expecting {' or '.join(words)}")
        self.i += 1
        return token

    def name(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise _malformed(f"unexpected token: '{value}'")
        return value

    def parse(self) -> tuple[str, list[str], Any, list[tuple[str, bool]], int | None]:
        self.take("SELECT")
        fields = [self.name()]
        while self.peek(","):
            self.take(",")
            fields.append(self.name())
        self.take("FROM")
        sobject = self.name()
        where, order, limit = None, [], None
        if self.peek("WHERE"):
            self.take("WHERE")
            where = self.disjunction()
        if self.peek("ORDER"):
            self.take("ORDER")
            self.take("BY")
            while True:
                fname = self.name()
                desc = False
                if self.peek("ASC", "DESC"):
                    desc = self.take()[1].upper() == "DESC"
                if self.peek("NULLS"):
                    self.take("NULLS")
                    self.take("FIRST", "LAST")
                order.append((fname, desc))
                if not self.peek(","):
                    break
                self.take(",")
        if self.peek("LIMIT"):
            self.take("LIMIT")
            kind, value = self.take()
            if kind != "num" or not value.isdigit():
                raise _malformed(f"unexpected token: '{value}', expecting a number")
            limit = int(value)
        if self.i < len(self.tokens):
            raise _malformed(f"unexpected token: '{self.tokens[self.i][1]}'")
        return sobject, fields, where, order, limit

    def disjunction(self) -> Any:
        parts = [self.conjunction()]
        while self.peek("OR"):
            self.take("OR")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> Any:
        parts = [self.atom()]
        while self.peek("AND"):
            self.take("AND")
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def atom(self) -> Any:
        if self.peek("NOT"):
            self.take("NOT")
            return ("not", self.atom())
        if self.peek("("):
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return inner
        fname = self.name()
        if self.peek("NOT"):
            self.take("NOT")
            self.take("IN")
            return ("cmp", fname, "NOT IN", self.values())
        if self.peek("IN"):
            self.take("IN")
            return ("cmp", fname, "IN", self.values())
        if self.peek("LIKE"):
            self.take("LIKE")
            return ("cmp", fname, "LIKE", self.value())
        kind, op = self.take()
        if kind != "op":
            raise _malformed(f"unexpected token: '{op}', expecting a comparison operator")
        return ("cmp", fname, "!=" if op == "<>" else op, self.value())

    def values(self) -> list[Any]:
        self.take("(")
        out = [self.value()]
        while self.peek(","):
            self.take(",")
            out.append(self.value())
        self.take(")")
        return out

    def value(self) -> Any:
        kind, raw = self.take()
        if kind == "str":
            return _unquote_soql(raw)
        if kind == "dt":
            return datetime.fromisoformat(raw)
        if kind == "date":
            return ("date", raw)
        if kind == "num":
            return float(raw)
        if kind == "word" and raw.upper() in ("TRUE", "FALSE", "NULL"):
            return {"TRUE": True, "FALSE": False, "NULL": None}[raw.upper()]
        raise _malformed(f"unexpected token: '{raw}', expecting a value")


def _canonical(sobject: str, name: str) -> str:
    """The field's API name (SOQL is case-insensitive); INVALID_FIELD when unknown."""
    parts = name.split(".")
    current = sobject
    out = []
    for i, part in enumerate(parts):
        if i < len(parts) - 1:
            rels = RELATIONSHIPS.get(current, {})
            rel = next((r for r in rels if r.lower() == part.lower()), None)
            if rel is None:
                raise SalesforceApiError(
                    400, "INVALID_FIELD",
                    f"Didn't understand relationship '{part}' in field path. If you are "
                    f"attempting to use a custom relationship, be sure to append the '__r'")
            out.append(rel)
            current = rels[rel][1]
        else:
            known = next((f for f in FIELDS[current] if f.lower() == part.lower()), None)
            if known is None:
                raise SalesforceApiError(
                    400, "INVALID_FIELD", f"No such column '{part}' on entity '{current}'. If "
                    "you are attempting to use a custom field, be sure to append the '__c' "
                    "after the custom field name.")
            out.append(known)
    return ".".join(out)


def parse_soql(soql: str) -> SoqlQuery:
    """Parse and validate a query of the supported subset (SalesforceApiError otherwise)."""
    sobject, fields, where, order, limit = _Parser(soql).parse()
    canonical_object = next((o for o in FIELDS if o.lower() == sobject.lower()), None)
    if canonical_object is None:
        raise SalesforceApiError(
            400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported. If you are "
            "attempting to use a custom object, be sure to append the '__c' after the entity name.")

    def fix(cond: Any) -> Any:
        if cond is None:
            return None
        if cond[0] in ("and", "or"):
            return (cond[0], [fix(c) for c in cond[1]])
        if cond[0] == "not":
            return ("not", fix(cond[1]))
        name = _canonical(canonical_object, cond[1])
        return ("cmp", name, cond[2], _id_literals(canonical_object, name, cond[3]))

    return SoqlQuery(
        sobject=canonical_object,
        fields=[_canonical(canonical_object, f) for f in fields],
        where=fix(where),
        order=[(_canonical(canonical_object, f), d) for f, d in order],
        limit=limit,
    )


_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def _id_literals(sobject: str, name: str, literal: Any) -> Any:
    """Literals compared with an id field: a string that cannot be an id is refused, as
    Salesforce does ("invalid ID field"; the empty string is let through), and a
    15-character id matches the 18-character one it is the start of."""
    *path, last = name.split(".")
    target = sobject
    for rel in path:
        target = RELATIONSHIPS[target][rel][1]
    if last not in {"Id"} | {f for f, _ in RELATIONSHIPS.get(target, {}).values()}:
        return literal

    def one(value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        if not _ID.fullmatch(value):
            raise SalesforceApiError(400, "INVALID_QUERY_FILTER_OPERATOR",
                                     f"invalid ID field: {value}")
        return ("id15", value) if len(value) == 15 else value

    return [one(v) for v in literal] if isinstance(literal, list) else one(literal)


def _as_comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, datetime):
        return (datetime.fromisoformat(value) if isinstance(value, str) else value), literal
    if isinstance(literal, tuple) and literal[0] == "id15":  # case-sensitive, like the id
        return (value[:15] if isinstance(value, str) else value), literal[1]
    if isinstance(literal, tuple) and literal[0] == "date":
        return (value[:10] if isinstance(value, str) else value), literal[1]
    if isinstance(literal, str) and isinstance(value, str):
        return value.lower(), literal.lower()
    if isinstance(literal, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), literal
    return value, literal


def _compare(value: Any, op: str, literal: Any) -> bool:
    if op in ("IN", "NOT IN"):
        found = any(_compare(value, "=", item) for item in literal)
        return found if op == "IN" else not found
    if op == "LIKE":
        if not isinstance(value, str) or not isinstance(literal, str):
            return False
        pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in literal)
        return re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL) is not None
    if literal is None or value is None:
        equal = value is None and literal is None
        return equal if op == "=" else (not equal if op == "!=" else False)
    left, right = _as_comparable(value, literal)
    try:
        return {"=": left == right, "!=": left != right}.get(op) if op in ("=", "!=") else (
            {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
    except TypeError:
        return False
