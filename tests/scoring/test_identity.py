"""Identity resolution, the first cut's cases: email, then corporate domain; never a guess."""

from scoring import CrmAccount, CrmContact, Member, resolve


def member(key: str, email: str | None, **kw) -> Member:
    return Member(key=key, source="discourse", external_id=key, username=key, email=email, **kw)


ACCOUNTS = [
    CrmAccount("1", "Acme Inc.", "acme.example"),
    CrmAccount("2", "Globex", "https://www.Globex.example/"),
    CrmAccount("3", "Twin A", "twin.example"),
    CrmAccount("4", "Twin B", "twin.example"),
]
CONTACTS = [CrmContact("c1", " Ann.O'Brien@ACME.example ", "1"), CrmContact("c2", "lost@nowhere.example", None)]


def test_layers_and_reasons() -> None:
    result = resolve(
        [
            member("ann", "ann.o'brien@acme.example"),
            member("bob", "bob@eu.globex.example"),
            member("cid", "cid@gmail.com"),
            member("dee", "dee@twin.example"),
            member("eve", None),
            member("fay", "fay@unknown.example"),
            member("ops", "ops@acme.example", is_staff=True),
        ],
        CONTACTS,
        ACCOUNTS,
    )
    ann, bob = result.matches["ann"], result.matches["bob"]
    assert (ann.account_id, ann.method, ann.confidence, ann.contact_id) == ("1", "email", 1.0, "c1")
    assert (bob.account_id, bob.method) == ("2", "domain")
    assert set(result.matches) == {"ann", "bob"}
    assert result.unmatched["cid"] == "free-mail domain gmail.com"
    assert result.unmatched["dee"].startswith("ambiguous")
    # The first cut said "no email address"; with the company-name layer the reason must
    # also say that there was no company to go by.
    assert result.unmatched["eve"] == "no email address and no company"
    assert result.unmatched["fay"].startswith("no contact or account")
    assert result.unmatched["ops"] == "team member"
    assert result.account_of() == {"ann": "1", "bob": "2"}
