"""Block Kit builders: escape once, then cut to Slack's limits without splitting an entity."""

import pytest

from playbooks.slack_messages import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    Escaped,
    cut,
    escape,
    fields_section,
    header,
    limit_blocks,
    mrkdwn,
    plain,
    rich_link,
)


def test_escape_is_idempotent_on_escaped_text() -> None:
    once = escape("Eve <!channel> & co")
    assert once == "Eve &lt;!channel&gt; &amp; co"
    assert escape(once) == once and escape(Escaped(f"x {once}")) == f"x {once}"
    assert plain(once)["text"] == once  # no &amp;lt;


def test_header_is_cut_after_escaping() -> None:
    text = header("&<>" * 100)["text"]["text"]
    assert len(text) <= HEADER_LIMIT and text.endswith("…")
    assert "&amp;lt;" not in text


@pytest.mark.parametrize("limit", range(2, 40))
def test_a_cut_never_splits_an_entity(limit) -> None:
    value = cut("a&b<c>d" * 10, limit)
    assert len(value) <= limit
    body = value.removesuffix("…")
    # every '&' starts a whole entity
    for i, ch in enumerate(body):
        if ch == "&":
            assert any(body.startswith(e, i) for e in ("&amp;", "&lt;", "&gt;")), (limit, value)


def test_a_cut_never_splits_our_mention() -> None:
    value = cut(Escaped("x" * 10 + "<@U12345>"), 15)
    assert value == "x" * 10 + "…"


def test_fields_are_capped_in_number_and_length() -> None:
    block = fields_section([Escaped("y" * 5000)] * 12)
    assert len(block["fields"]) == 10 and all(len(f["text"]) <= FIELD_LIMIT for f in block["fields"])


def test_mrkdwn_refuses_unescaped_text() -> None:
    with pytest.raises(TypeError, match="Escaped"):
        mrkdwn("<!channel>")  # type: ignore[arg-type]


def test_links_need_a_url_else_plain_text() -> None:
    assert rich_link("", "Why <b>?") == {"type": "text", "text": "Why &lt;b&gt;?"}
    assert rich_link(None, None) == {"type": "text", "text": "(untitled)"}
    assert rich_link("javascript:alert(1)", "x")["type"] == "text"
    assert rich_link("https://f.example/t/1", "T")["url"] == "https://f.example/t/1"


def test_empty_text_is_a_space_and_blocks_are_capped() -> None:
    assert plain("")["text"] == " "
    assert len(limit_blocks([{"type": "divider"}] * 60)) == MAX_BLOCKS
