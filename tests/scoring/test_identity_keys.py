"""The keys identity resolution matches on: emails, domains, company names."""

from __future__ import annotations

import pytest

from scoring.identity_keys import (
    FREE_MAIL_DOMAINS,
    PLUS_ADDRESSING_DOMAINS,
    canonical_email,
    normalize_domain,
    normalize_email,
    parent_domains,
)
from scoring.identity_names import normalize_company


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ann.O'Brien@ACME.example ", "ann.o'brien@acme.example"),
        ("a@b.example.", "a@b.example"),
        (None, None),
        ("", None),
        ("no-at-sign", None),
        ("@acme.example", None),
        ("ann@", None),
        ("a@b@c", None),
        ("a b@c.example", None),
    ],
)
def test_normalize_email(raw, expected) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann+Forum@Gmail.com", "ann@gmail.com"),
        ("ann+a+b@proton.me", "ann@proton.me"),
        ("ann+forum@acme.example", "ann+forum@acme.example"),
        ("ann+forum@gmail.com.evil.example", "ann+forum@gmail.com.evil.example"),
        ("a.n.n@gmail.com", "a.n.n@gmail.com"),
        ("+only@gmail.com", None),
    ],
)
def test_canonical_email_drops_plus_tags_only_at_listed_providers(raw, expected) -> None:
    assert canonical_email(raw) == expected


def test_provider_lists() -> None:
    assert {"gmail.com", "outlook.com", "icloud.com", "proton.me"} <= PLUS_ADDRESSING_DOMAINS
    assert PLUS_ADDRESSING_DOMAINS <= FREE_MAIL_DOMAINS
    assert {"gmail.com", "yahoo.com", "hey.com", "gmx.de"} <= FREE_MAIL_DOMAINS
    assert not {"acme.example", "example.com", "prefect.io"} & FREE_MAIL_DOMAINS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/", "acme.com"),
        ("acme.com", "acme.com"),
        ("WWW.ACME.COM", "acme.com"),
        ("http://acme.com:8080/x?y#z", "acme.com"),
        ("//cdn.acme.com/", "cdn.acme.com"),
        ("acme.com.", "acme.com"),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_domain(raw, expected) -> None:
    assert normalize_domain(raw) == expected


def test_parent_domains() -> None:
    assert parent_domains("eu.mail.acme.com") == ["eu.mail.acme.com", "mail.acme.com", "acme.com"]
    assert parent_domains("acme.com") == ["acme.com"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Inc.", "ACME, Inc"),
        ("Acme, LLC", "acme"),
        ("Acme GmbH & Co. KG", "Acme"),
        ("Acme S.A. de C.V.", "ACME SA"),
        ("Acme B.V.", "Acme BV"),
        ("Acme PLC", "Acme Ltd."),
        ("O'Reilly Media", "OReilly Media, Inc."),
        ("O’Reilly Media", "o'reilly media"),
        ("Société Générale", "Societe Generale SA"),
        ("The Acme Group", "Acme Group"),
        ("Procter & Gamble", "Procter and Gamble Co."),
    ],
)
def test_company_names_that_are_the_same(a: str, b: str) -> None:
    assert normalize_company(a) == normalize_company(b)


@pytest.mark.parametrize(("a", "b"), [("Acme Labs", "Acme"), ("Acme Holdings", "Acme"), ("Twin A", "Twin B")])
def test_company_names_that_differ(a: str, b: str) -> None:
    assert normalize_company(a) != normalize_company(b)


def test_company_name_edge_cases() -> None:
    assert normalize_company("AG") == "ag"
    assert normalize_company(" ... ") is None
    assert normalize_company(None) is None
