"""Properties of identity resolution: one account at most, every member reported, order-free."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import CrmAccount, CrmContact, Member, resolve
from scoring.identity import link_people

DOMAINS = ["acme.example", "eu.acme.example", "globex.example", "twin.example", "gmail.com", "other.example"]
LOCALS = ["ann", "Ann", "bob", "bob+x", "o'brien", "c.d"]
COMPANIES = [None, "Acme", "ACME, Inc", "Globex", "Twin", "Initech", "O'Reilly Media", "Umbrella"]
ACCOUNT_NAMES = ["Acme Inc.", "Globex Corp", "Twin", "Twin LLC", "O'Reilly Media", "Umbrela"]
ACCOUNT_DOMAINS = [None, "acme.example", "https://www.globex.example", "twin.example", "gmail.com"]
SSO = [None, "s1", "s2", "s3"]

emails = st.one_of(st.none(), st.builds(lambda l, d: f"{l}@{d}", st.sampled_from(LOCALS), st.sampled_from(DOMAINS)))


@st.composite
def worlds(draw):
    n_members = draw(st.integers(0, 12))
    members = [
        Member(
            key=f"{draw(st.sampled_from(['discourse', 'slack']))}:{i}",
            source="x",
            external_id=str(i),
            username=f"u{i}",
            email=draw(emails),
            company=draw(st.sampled_from(COMPANIES)),
            is_staff=draw(st.integers(0, 15)) == 0,
            is_bot=draw(st.integers(0, 15)) == 0,
            sso_id=draw(st.sampled_from(SSO)),
        )
        for i in range(n_members)
    ]
    accounts = [
        CrmAccount(f"a{i}", draw(st.sampled_from(ACCOUNT_NAMES)), draw(st.sampled_from(ACCOUNT_DOMAINS)))
        for i in range(draw(st.integers(0, 6)))
    ]
    account_ids = [a.id for a in accounts] + [None]
    contacts = [
        CrmContact(f"c{i}", draw(emails), draw(st.sampled_from(account_ids)), sso_id=draw(st.sampled_from(SSO)))
        for i in range(draw(st.integers(0, 8)))
    ]
    keys = [m.key for m in members]
    overrides = draw(
        st.dictionaries(st.sampled_from(keys), st.sampled_from(account_ids), max_size=2)
        if keys
        else st.just({})
    )
    return members, contacts, accounts, overrides


@settings(max_examples=300, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_one_account_at_most_every_member_reported_and_order_free(world, rnd) -> None:
    members, contacts, accounts, overrides = world
    result = resolve(members, contacts, accounts, overrides=overrides)

    keys = {m.key for m in members}
    # Every member is either matched (to exactly one account, by construction of the dict)
    # or unmatched with a reason, never both.
    assert set(result.matches) | set(result.unmatched) == keys
    assert not set(result.matches) & set(result.unmatched)
    assert all(reason for reason in result.unmatched.values())
    assert set(result.person_of) == keys
    for key, match in result.matches.items():
        assert match.member_key == key
        assert 0.0 < match.confidence <= 1.0
        assert match.method in {"manual", "sso", "email", "domain", "name"}

    # Members of one person never end up on different accounts (overrides aside: an
    # operator may split a person by giving members their own overrides).
    by_person: dict[str, set[str]] = {}
    for key, person in result.person_of.items():
        if key in result.matches and not set(overrides) & {k for k, p in result.person_of.items() if p == person}:
            by_person.setdefault(person, set()).add(result.matches[key].account_id)
    assert all(len(ids) == 1 for ids in by_person.values())

    shuffled = [list(x) for x in (members, contacts, accounts)]
    for items in shuffled:
        rnd.shuffle(items)
    again = resolve(*shuffled, overrides=dict(reversed(list(overrides.items()))))
    assert again == result


@settings(max_examples=200, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_link_people_is_order_free_and_keys_a_member_of_each_group(world, rnd) -> None:
    members = world[0]
    people = link_people(members)
    shuffled = list(members)
    rnd.shuffle(shuffled)
    assert link_people(shuffled) == people
    for member_key, person_key in people.items():
        assert people[person_key] == person_key
        assert person_key <= member_key
