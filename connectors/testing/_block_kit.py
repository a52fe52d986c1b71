"""Block Kit validation as Slack applies it to ``chat.postMessage`` (the blocks we send).

Slack refuses a message whose blocks break a limit with ``invalid_blocks`` and says where
in ``errors`` and ``response_metadata.messages`` ("must be less than 151 characters
[json-pointer:/blocks/0/text/text]"); nothing is posted. The emulator applies the same
rules, so a message over a limit fails a test the way it would fail in production.

Covered: the message (at most 50 blocks), ``header``, ``section``, ``context``,
``divider``, ``rich_text`` (sections, lists, quotes, preformatted; text, link, user,
channel, emoji, broadcast elements), text objects (``plain_text``/``mrkdwn``, 1 to 3,000
characters), ``block_id`` (255). Other block types are refused as unsupported: the
connectors send none, and a new one should get its rules here first. Lengths are counted
on the text as sent, i.e. with ``&amp;`` as five characters, as Slack counts them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_BLOCKS", "MESSAGE_TEXT_LIMIT", "block_errors"]

MAX_BLOCKS = 50
#: Slack refuses (``msg_too_long``) message text beyond this.
MESSAGE_TEXT_LIMIT = 40_000
TEXT_OBJECT_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
BLOCK_ID_LIMIT = 255
RICH_SECTIONS = frozenset({"rich_text_section", "rich_text_quote", "rich_text_preformatted"})


class _Errors(list[str]):
    def add(self, pointer: str, message: str) -> None:
        self.append(f"{message} [json-pointer:{pointer}]")


def block_errors(blocks: Any) -> list[str]:
    """Slack's complaints about ``blocks`` (empty when Slack would accept them)."""
    errors = _Errors()
    if not isinstance(blocks, list):
        errors.add("/blocks", "must be an array")
        return errors
    if len(blocks) > MAX_BLOCKS:
        errors.add("/blocks", f"no more than {MAX_BLOCKS} items allowed")
    for i, block in enumerate(blocks):
        _block(block, f"/blocks/{i}", errors)
    return errors


def _block(block: Any, at: str, errors: _Errors) -> None:
    if not isinstance(block, dict):
        errors.add(at, "must be an object")
        return
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > BLOCK_ID_LIMIT):
        errors.add(f"{at}/block_id", f"must be a string of at most {BLOCK_ID_LIMIT} characters")
    kind = block.get("type")
    if kind == "header":
        _text(block.get("text"), f"{at}/text", errors, HEADER_LIMIT, kinds=("plain_text",))
    elif kind == "section":
        _section(block, at, errors)
    elif kind == "context":
        for j, element in enumerate(_items(block.get("elements"), f"{at}/elements", errors, MAX_CONTEXT_ELEMENTS)):
            if isinstance(element, dict) and element.get("type") == "image":
                continue
            _text(element, f"{at}/elements/{j}", errors, TEXT_OBJECT_LIMIT)
    elif kind == "divider":
        return
    elif kind == "rich_text":
        _rich_text(block, at, errors)
    else:
        errors.add(f"{at}/type", f"unsupported type {kind!r}")


def _section(block: dict[str, Any], at: str, errors: _Errors) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        errors.add(at, "must provide text or fields")
    if text is not None:
        _text(text, f"{at}/text", errors, TEXT_OBJECT_LIMIT)
    if fields is not None:
        for j, field in enumerate(_items(fields, f"{at}/fields", errors, MAX_FIELDS)):
            _text(field, f"{at}/fields/{j}", errors, FIELD_LIMIT)


def _items(value: Any, at: str, errors: _Errors, maximum: int) -> list[Any]:
    """A list of 1 to ``maximum`` items, as Slack requires; its items to check (none when it is not a list)."""
    if not isinstance(value, list) or not value:
        errors.add(at, "must provide at least 1 item")
        return []
    if len(value) > maximum:
        errors.add(at, f"no more than {maximum} items allowed")
    return value


def _text(obj: Any, at: str, errors: _Errors, limit: int,
          kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> None:
    if not isinstance(obj, dict):
        errors.add(at, "must be a text object")
        return
    if obj.get("type") not in kinds:
        errors.add(f"{at}/type", f"must be one of {list(kinds)}")
    value = obj.get("text")
    if not isinstance(value, str):
        errors.add(f"{at}/text", "must be a string")
    elif not value:
        errors.add(f"{at}/text", "must be more than 0 characters")
    elif len(value) > limit:
        errors.add(f"{at}/text", f"must be less than {limit + 1} characters")


def _rich_text(block: dict[str, Any], at: str, errors: _Errors) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.add(f"{at}/elements", "must provide at least 1 item")
        return
    for j, element in enumerate(elements):
        where = f"{at}/elements/{j}"
        kind = element.get("type") if isinstance(element, dict) else None
        if kind in RICH_SECTIONS:
            _rich_section(element, where, errors)
        elif kind == "rich_text_list":
            items = element.get("elements")
            if element.get("style") not in ("bullet", "ordered"):
                errors.add(f"{where}/style", "must be one of ['bullet', 'ordered']")
            if not isinstance(items, list) or not items:
                errors.add(f"{where}/elements", "must provide at least 1 item")
                continue
            for k, item in enumerate(items):
                if not isinstance(item, dict) or item.get("type") != "rich_text_section":
                    errors.add(f"{where}/elements/{k}/type", "must be rich_text_section")
                else:
                    _rich_section(item, f"{where}/elements/{k}", errors)
        else:
            errors.add(f"{where}/type", f"unsupported type {kind!r}")


def _rich_section(section: dict[str, Any], at: str, errors: _Errors) -> None:
    elements = section.get("elements")
    if not isinstance(elements, list):
        errors.add(f"{at}/elements", "must be an array")
        return
    for k, element in enumerate(elements):
        where = f"{at}/elements/{k}"
        kind = element.get("type") if isinstance(element, dict) else None
        if kind == "text":
            if not isinstance(element.get("text"), str) or not element["text"]:
                errors.add(f"{where}/text", "must be more than 0 characters")
        elif kind == "link":
            url = element.get("url")
            if not isinstance(url, str) or not url:
                errors.add(f"{where}/url", "must be more than 0 characters")
            if "text" in element and not isinstance(element["text"], str):
                errors.add(f"{where}/text", "must be a string")
        elif kind in ("user", "channel", "usergroup", "emoji", "broadcast", "date", "color"):
            continue
        else:
            errors.add(f"{where}/type", f"unsupported type {kind!r}")
