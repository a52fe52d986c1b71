"""The shared text sanitiser: what no database or encoder can take is cleaned, nothing else."""

from __future__ import annotations

import pytest

from connectors.sanitize import REPLACEMENT, clean_json, clean_text, needs_cleaning


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("a\x00b", "ab"),
        ("\x00", ""),
        ("x\ud800y", f"x{REPLACEMENT}y"),
        ("\udfff", REPLACEMENT),
        ("\ude00\ud83d", REPLACEMENT * 2),  # a low then a high surrogate: no pair
        ("\ud83d\ude00", "😀"),  # an uncombined pair becomes the character it encodes
        ("héllo — 😀 ok", "héllo — 😀 ok"),
        ("n\x00ul \ud800 both", f"nul {REPLACEMENT} both"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert clean_text(clean) == clean  # idempotent
    clean_text(raw).encode("utf-8")  # always encodable


def test_clean_text_returns_clean_strings_unchanged() -> None:
    value = "nothing to do here ✓"
    assert clean_text(value) is value
    assert not needs_cleaning(value)
    assert needs_cleaning("a\x00") and needs_cleaning("\ud800")


def test_clean_text_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        clean_text(None)  # type: ignore[arg-type]


def test_clean_json_walks_keys_values_and_nesting() -> None:
    raw = {"ti\x00tle": ["x\ud800", 1, None, True, {"k": ("\x00v",)}], "n": 1.5}
    original = {"ti\x00tle": list(raw["ti\x00tle"]), "n": 1.5}
    assert clean_json(raw) == {"title": [f"x{REPLACEMENT}", 1, None, True, {"k": ["v"]}], "n": 1.5}
    assert raw == original  # the input is left alone
    assert clean_json("a\x00") == "a" and clean_json(7) == 7 and clean_json(None) is None
