"""Identity resolution layer by layer: manual > sso > email > domain > name, and people."""

from __future__ import annotations

import pytest

from scoring import CrmAccount, CrmContact, Member, ScoringError, resolve
from scoring.identity import (
    DOMAIN_CONFIDENCE,
    NAME_CONFIDENCE_WEIGHT,
    PLUS_EMAIL_CONFIDENCE,
    REASON_KINDS,
    link_people,
    reason_kind,
)


def member(key: str, email: str | None = None, *, source: str = "discourse", **kw) -> Member:
    return Member(key=key, source=source, external_id=key, username=key, email=email, **kw)


ACCOUNTS = [
    CrmAccount("acme", "Acme Inc.", "https://www.Acme.example/"),
    CrmAccount("globex", "Globex Corporation", "globex.example"),
    CrmAccount("oreilly", "O'Reilly Media, Inc.", "oreilly.example"),
    CrmAccount("twin-a", "Twin A", "twin.example"),
    CrmAccount("twin-b", "Twin B", "twin.example"),
    CrmAccount("same-1", "Initech, LLC", None),
    CrmAccount("same-2", "INITECH Inc", None),
    CrmAccount("gmailco", "Gmail Fans", "gmail.com"),
]
CONTACTS = [
    CrmContact("c-ann", "Ann@Acme.example", "acme"),
    CrmContact("c-gina", "gina@gmail.com", "globex"),
    CrmContact("c-sso", "someone-else@globex.example", "globex", sso_id="okta|42"),
    CrmContact("c-noacct", "loner@acme.example", None),
    CrmContact("c-dup1", "dup@shared.example", "acme"),
    CrmContact("c-dup2", "DUP@shared.example", "globex"),
]


def run(*members: Member, contacts=CONTACTS, accounts=ACCOUNTS, **kw):
    return resolve(list(members), contacts, accounts, **kw)


# -- manual -----------------------------------------------------------------------------


def test_manual_override_beats_every_other_layer() -> None:
    result = run(member("ann", "ann@acme.example"), overrides={"ann": "globex"})
    m = result.matches["ann"]
    assert (m.account_id, m.method, m.confidence, m.contact_id) == ("globex", "manual", 1.0, None)


def test_manual_none_blocks_the_member() -> None:
    result = run(member("ann", "ann@acme.example"), overrides={"ann": None})
    assert result.matches == {}
    assert result.unmatched["ann"] == "manual override: never match"


def test_overrides_for_unknown_members_are_ignored() -> None:
    result = run(member("ann", "ann@acme.example"), overrides={"ghost": "globex"})
    assert result.matches["ann"].method == "email"


def test_team_members_and_bots_stay_out_even_with_an_override() -> None:
    result = run(
        member("ops", "ops@acme.example", is_staff=True),
        member("bot", "bot@acme.example", is_bot=True),
        overrides={"ops": "acme"},
    )
    assert result.unmatched == {"ops": "team member", "bot": "bot"}


# -- sso --------------------------------------------------------------------------------


def test_sso_beats_email() -> None:
    result = run(member("ann", "ann@acme.example", sso_id="okta|42"))
    m = result.matches["ann"]
    assert (m.account_id, m.method, m.confidence, m.contact_id) == ("globex", "sso", 1.0, "c-sso")


def test_sso_ids_are_trimmed_but_case_sensitive_and_blank_is_none() -> None:
    assert run(member("a", sso_id=" okta|42 ")).matches["a"].method == "sso"
    assert "a" in run(member("a", sso_id="OKTA|42")).unmatched
    blank = [CrmContact("c", None, "acme", sso_id="  ")]
    assert "a" in run(member("a", sso_id=" "), contacts=blank).unmatched


def test_unknown_sso_id_falls_through_to_email() -> None:
    result = run(member("ann", "ann@acme.example", sso_id="okta|nobody"))
    assert result.matches["ann"].method == "email"


def test_sso_on_contacts_of_two_accounts_is_ambiguous() -> None:
    contacts = [CrmContact("x", None, "acme", sso_id="s1"), CrmContact("y", None, "globex", sso_id="s1")]
    result = run(member("m", "m@acme.example", sso_id="s1"), contacts=contacts)
    assert result.unmatched["m"].startswith("ambiguous: sso id s1 on contacts of 2 accounts")


# -- email ------------------------------------------------------------------------------


def test_email_is_trimmed_and_case_insensitive() -> None:
    result = run(member("ann", "  ANN@ACME.EXAMPLE "))
    m = result.matches["ann"]
    assert (m.account_id, m.method, m.confidence, m.contact_id) == ("acme", "email", 1.0, "c-ann")


def test_apostrophes_in_email_match_exactly() -> None:
    contacts = [CrmContact("c", " O'Brien@ACME.example", "acme")]
    m = run(member("ob", "o'brien@acme.example"), contacts=contacts).matches["ob"]
    assert (m.method, m.contact_id) == ("email", "c")


def test_plus_tag_dropped_at_gmail_with_lower_confidence() -> None:
    m = run(member("gina", "Gina+Forum@gmail.com")).matches["gina"]
    assert (m.account_id, m.method, m.confidence) == ("globex", "email", PLUS_EMAIL_CONFIDENCE)
    # The other way round too: the CRM holds the tagged address.
    contacts = [CrmContact("c", "gina+crm@gmail.com", "globex")]
    assert run(member("gina", "gina@gmail.com"), contacts=contacts).matches["gina"].method == "email"


def test_plus_tag_kept_at_a_corporate_domain() -> None:
    m = run(member("ann", "ann+forum@acme.example")).matches["ann"]
    # Not the contact ann@acme.example: only the domain ties this member to Acme.
    assert (m.account_id, m.method, m.confidence, m.contact_id) == ("acme", "domain", 0.8, None)


def test_gmail_dots_are_not_ignored() -> None:
    """A documented decision (see PLUS_ADDRESSING_DOMAINS): exact email means exact."""
    result = run(member("g", "gi.na@gmail.com"))
    assert result.unmatched["g"] == "free-mail domain gmail.com"


def test_contact_without_account_does_not_match() -> None:
    m = run(member("loner", "loner@acme.example")).matches["loner"]
    assert m.method == "domain"


def test_email_on_contacts_of_two_accounts_is_ambiguous_not_a_domain_match() -> None:
    result = run(member("d", "dup@shared.example"))
    assert result.unmatched["d"] == (
        "ambiguous: email dup@shared.example on contacts of 2 accounts (acme, globex)"
    )


def test_two_contacts_on_one_account_pick_the_smallest_contact_id() -> None:
    contacts = [CrmContact("z", "ann@acme.example", "acme"), CrmContact("b", "ANN@acme.example", "acme")]
    assert run(member("ann", "ann@acme.example"), contacts=contacts).matches["ann"].contact_id == "b"


# -- domain -----------------------------------------------------------------------------


def test_personal_gmail_never_matches_by_domain() -> None:
    # An account that (wrongly) carries gmail.com as its domain must not collect gmail users.
    result = run(member("p", "someone@gmail.com"), member("q", "x@GoogleMail.com"))
    assert result.unmatched == {
        "p": "free-mail domain gmail.com",
        "q": "free-mail domain googlemail.com",
    }


def test_extra_free_mail_domains_and_the_maintained_list() -> None:
    accounts = [CrmAccount("hey", "Hey", "hey.com"), CrmAccount("y", "Yahoo", "yahoo.co.uk")]
    result = run(member("h", "h@hey.com"), member("y", "y@yahoo.co.uk"), accounts=accounts)
    assert result.unmatched == {"h": "free-mail domain hey.com", "y": "free-mail domain yahoo.co.uk"}


def test_subdomain_matches_the_parent_account_domain() -> None:
    m = run(member("eu", "kim@eu.mail.Acme.example")).matches["eu"]
    assert (m.account_id, m.method, m.confidence) == ("acme", "domain", DOMAIN_CONFIDENCE)


def test_account_website_urls_are_normalised() -> None:
    accounts = [CrmAccount("w", "W", "HTTP://WWW.W.example:8080/about?x=1")]
    assert run(member("m", "m@w.example"), accounts=accounts).matches["m"].account_id == "w"


def test_parent_domain_does_not_match_a_sibling() -> None:
    accounts = [CrmAccount("eu", "Acme EU", "eu.acme.example")]
    result = run(member("m", "m@us.acme.example"), accounts=accounts)
    assert result.unmatched["m"] == "no contact or account for us.acme.example"


def test_shared_domain_is_ambiguous() -> None:
    result = run(member("t", "t@twin.example"))
    assert result.unmatched["t"] == "ambiguous: 2 accounts with domain twin.example (twin-a, twin-b)"


def test_company_name_settles_a_shared_domain_among_its_accounts_only() -> None:
    m = run(member("t", "t@twin.example", company="Twin B GmbH")).matches["t"]
    assert (m.account_id, m.method) == ("twin-b", "name")
    # A company naming an account outside the domain's is no tie-break: still ambiguous.
    result = run(member("u", "u@twin.example", company="Globex"))
    assert result.unmatched["u"].startswith("ambiguous: 2 accounts with domain twin.example")


# -- name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("company", "account_id"),
    [
        ("ACME, Inc", "acme"),
        ("acme", "acme"),
        ("Acme Incorporated", "acme"),
        ("Globex Corp.", "globex"),
        ("O'Reilly Media", "oreilly"),
        ("O’Reilly Media", "oreilly"),
        ("oreilly media llc", "oreilly"),
    ],
)
def test_company_name_matches_despite_suffixes_case_and_punctuation(company: str, account_id: str) -> None:
    m = run(member("m", "m@gmail.com", company=company)).matches["m"]
    assert (m.account_id, m.method, m.contact_id) == (account_id, "name", None)
    assert m.confidence == pytest.approx(NAME_CONFIDENCE_WEIGHT)


def test_fuzzy_name_confidence_scales_with_similarity() -> None:
    m = run(member("m", None, company="Globexx")).matches["m"]
    assert m.account_id == "globex"
    assert 0.63 <= m.confidence < NAME_CONFIDENCE_WEIGHT < DOMAIN_CONFIDENCE


def test_two_accounts_with_the_same_normalised_name_are_ambiguous() -> None:
    result = run(member("m", None, company="Initech"))
    assert result.unmatched["m"] == "ambiguous: company 'Initech' names 2 accounts (same-1, same-2)"


def test_names_too_close_to_call_are_ambiguous() -> None:
    accounts = [CrmAccount("1", "Umbrella Corp", None), CrmAccount("2", "Umbrela", None)]
    # "umbrellas" scores 94 against "umbrella" and 87.5 against "umbrela".
    clear = run(member("m", None, company="Umbrellas"), accounts=accounts)
    assert clear.matches["m"].account_id == "1"
    result = run(member("m", None, company="Umbrellas"), accounts=accounts, name_margin=10)
    assert result.unmatched["m"] == "ambiguous: company 'Umbrellas' names 2 accounts (1, 2)"


def test_name_below_threshold_is_reported_and_the_threshold_is_an_option() -> None:
    accounts = [CrmAccount("1", "Acme Labs", None)]
    result = run(member("m", None, company="Acme Lab Works"), accounts=accounts)
    assert result.unmatched["m"].startswith("no email address; company 'Acme Lab Works' below name threshold")
    lenient = run(member("m", None, company="Acme Lab Works"), accounts=accounts, name_threshold=70)
    assert lenient.matches["m"].account_id == "1"


def test_partial_names_do_not_match() -> None:
    accounts = [CrmAccount("1", "Acme Labs", None)]
    result = run(member("m", "m@gmail.com", company="Acme"), accounts=accounts)
    assert result.unmatched["m"].startswith("free-mail domain gmail.com; company 'Acme' below")


def test_domain_beats_name() -> None:
    m = run(member("m", "m@acme.example", company="Globex")).matches["m"]
    assert (m.account_id, m.method) == ("acme", "domain")


# -- people -----------------------------------------------------------------------------


def test_the_same_person_on_discourse_and_slack_is_linked_and_matched_once() -> None:
    discourse = member("discourse:7", "Ann@acme.example")
    slack = member("slack:U7", "ann@ACME.example ", source="slack")
    other = member("slack:U8", "bo@acme.example", source="slack")
    result = run(discourse, slack, other)
    assert result.person_of == {
        "discourse:7": "discourse:7",
        "slack:U7": "discourse:7",
        "slack:U8": "slack:U8",
    }
    assert result.matches["discourse:7"] == result.matches["discourse:7"]
    for key in ("discourse:7", "slack:U7"):
        m = result.matches[key]
        assert (m.account_id, m.method, m.contact_id) == ("acme", "email", "c-ann")


def test_a_strong_match_of_one_member_applies_to_the_whole_person() -> None:
    # Slack knows only the SSO id, Discourse knows the SSO id and a personal address.
    slack = member("slack:U1", None, source="slack", sso_id="okta|42")
    forum = member("discourse:1", "me@gmail.com", sso_id="okta|42", company="Acme")
    result = run(slack, forum)
    assert {k: (m.account_id, m.method) for k, m in result.matches.items()} == {
        "slack:U1": ("globex", "sso"),
        "discourse:1": ("globex", "sso"),
    }


def test_conflicting_strong_matches_within_a_person_are_ambiguous() -> None:
    contacts = [CrmContact("x", "pat@gmail.com", "acme"), CrmContact("y", "pat@globex.example", "globex")]
    a = member("discourse:1", "pat@gmail.com", sso_id="s")
    b = member("slack:U1", "pat@globex.example", source="slack", sso_id="s")
    result = run(a, b, contacts=contacts)
    assert result.matches == {}
    assert result.unmatched["discourse:1"] == result.unmatched["slack:U1"]
    assert result.unmatched["slack:U1"].startswith("ambiguous: emails pat@globex.example, pat@gmail.com on")


def test_manual_override_of_one_member_carries_to_linked_members() -> None:
    a = member("discourse:1", "pat@gmail.com")
    b = member("slack:U1", "PAT@gmail.com", source="slack")
    result = run(a, b, overrides={"slack:U1": "oreilly"})
    assert {k: m.account_id for k, m in result.matches.items()} == {
        "discourse:1": "oreilly",
        "slack:U1": "oreilly",
    }
    blocked = run(a, b, overrides={"slack:U1": None})
    assert blocked.unmatched == {
        "discourse:1": "manual override: never match (via linked member slack:U1)",
        "slack:U1": "manual override: never match",
    }
    split = run(a, b, overrides={"slack:U1": None, "discourse:1": "acme"})
    assert split.unmatched == {"slack:U1": "manual override: never match"}
    assert split.matches["discourse:1"].account_id == "acme"


def test_a_team_member_makes_the_whole_person_a_team_member() -> None:
    a = member("discourse:1", "pat@acme.example", is_staff=True)
    b = member("slack:U1", "pat@acme.example", source="slack")
    assert run(a, b).unmatched == {"discourse:1": "team member", "slack:U1": "team member"}


def test_link_people_by_email_and_sso_transitively() -> None:
    people = link_people(
        [
            member("c", "x@gmail.com"),
            member("b", "X+tag@gmail.com", sso_id="s1"),
            member("a", None, sso_id="s1"),
            member("d", "x+tag@acme.example"),
            member("e", "x@acme.example"),
            member("f", None),
        ]
    )
    assert people == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "e", "f": "f"}


def test_conflicting_duplicate_member_keys_are_refused() -> None:
    with pytest.raises(ScoringError, match="'m'"):
        run(member("m", "a@acme.example"), member("m", "b@acme.example"))
    assert "m" in run(member("m", "a@acme.example"), member("m", "a@acme.example")).matches


def test_positional_callers_still_work_and_account_of_is_kept() -> None:
    result = resolve([member("ann", "ann@acme.example")], CONTACTS, ACCOUNTS)
    assert result.account_of() == {"ann": "acme"}


def test_every_reason_has_a_kind_for_reports() -> None:
    result = run(
        member("ops", "ops@acme.example", is_staff=True),
        member("bot", None, is_bot=True),
        member("blocked", "x@acme.example"),
        member("amb", "t@twin.example"),
        member("none", None),
        member("co", None, company="Nothing Alike"),
        member("free", "f@gmail.com", company="Nothing Alike"),
        member("dom", "d@unknown.example"),
        overrides={"blocked": None},
    )
    kinds = {key: reason_kind(reason) for key, reason in result.unmatched.items()}
    assert kinds == {
        "ops": "team member",
        "bot": "bot",
        "blocked": "manual override",
        "amb": "ambiguous",
        "none": "no email address and no company",
        "co": "no email address",
        "free": "free-mail domain",
        "dom": "no contact or account",
    }
    assert set(kinds.values()) == set(REASON_KINDS)
    assert reason_kind("something new") == "other"
