"""Company names: normalisation and the unambiguous fuzzy match of a name to accounts.

"Acme Inc.", "ACME, Inc" and "acme" are one name: case, accents, punctuation and
apostrophes are ignored and trailing legal-form suffixes (Inc, LLC, GmbH, S.A., ...) are
dropped. Similarity is rapidfuzz's ``token_sort_ratio`` (0–100, word order ignored, no
partial matching: "Acme" is far from "Acme Labs"). A match is only returned when the best
account name is above the threshold *and* clearly ahead of the runner-up; several
accounts sharing the best name are ambiguous, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = ["LEGAL_SUFFIXES", "NameIndex", "NameResult", "normalize_company"]

#: Legal-form words dropped from the end of a name, after dots and punctuation are removed
#: ("S.A." → "sa", "B.V." → "bv"). Only legal forms: words like "Group", "Holdings" or
#: "Labs" tell companies apart and are kept.
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        # English-speaking
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "plc", "corp",
        "corporation", "co", "company", "pty", "pte", "pvt",
        # German-speaking, Dutch, Nordic
        "gmbh", "ag", "kg", "ug", "ohg", "mbh", "ev", "bv", "nv", "vof", "ab", "oy", "oyj",
        "as", "asa", "aps",
        # Romance languages
        "sa", "sas", "sasu", "sarl", "srl", "spa", "sl", "sau", "sc", "scs", "ltda", "eireli",
        "cv", "de", "sapi",
        # Others
        "se", "kk", "kft", "zrt", "sro", "spzoo", "zoo", "sp", "doo", "oao", "ooo", "pjsc",
        "bhd", "sdn", "tbk", "z", "oo",
    }
)

#: Below this similarity a name is not even worth mentioning as the nearest miss.
_NEAREST_MISS = 50.0

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalize_company(name: str | None) -> str | None:
    """The comparable form of a company name, or None when nothing is left.

    ``"ACME, Inc."`` → ``"acme"``; ``"O'Reilly Media"`` → ``"oreilly media"``;
    ``"Société Générale S.A."`` → ``"societe generale"``. A name made only of suffixes
    ("AG") is kept rather than emptied.
    """
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text).replace("&", " and ").replace(".", "")
    words = _NOT_WORD.sub(" ", text).split()
    # "S.A. de C.V." / "Sp. z o.o." / "& Co.": drop trailing legal words (and a dangling
    # "and") repeatedly, keeping at least one word.
    while len(words) > 1 and (words[-1] in LEGAL_SUFFIXES or words[-1] == "and"):
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words) or None


@dataclass(frozen=True, slots=True)
class NameResult:
    """What the name layer found for one company field.

    ``account_ids`` holds one id for a match, several for an ambiguous name, none when
    nothing is close enough; ``similarity`` is the best score (0–100) and ``note`` says
    why in words for the unmatched report.
    """

    account_ids: tuple[str, ...]
    similarity: float
    note: str


class NameIndex:
    """Account names, normalised and grouped, ready to be searched by company field.

    Names are held with their words sorted, so rapidfuzz's plain ``ratio`` computes
    ``token_sort_ratio`` without re-sorting every account name on every search (4× faster);
    results are cached per (company, candidate set), as many members share a company.
    """

    def __init__(self, accounts: Iterable[tuple[str, str]]) -> None:
        """``accounts``: (account_id, name) pairs."""
        ids: dict[str, set[str]] = defaultdict(set)
        shown: dict[str, str] = {}
        for account_id, name in accounts:
            key = normalize_company(name)
            if key:
                form = _sorted_words(key)
                ids[form].add(account_id)
                shown[form] = min(shown.get(form, key), key)
        self._ids = {form: tuple(sorted(found)) for form, found in ids.items()}
        self._shown = shown
        self._forms = sorted(self._ids)
        self._cache: dict[tuple[str, float, float, frozenset[str] | None], NameResult] = {}

    def search(
        self,
        company: str,
        *,
        threshold: float,
        margin: float,
        within: frozenset[str] | None = None,
    ) -> NameResult:
        """The account(s) ``company`` names, see the module docstring.

        ``within`` limits the search to these account ids (the candidates a stronger layer
        left undecided). ``margin`` is how far the runner-up must trail the best.
        """
        key = normalize_company(company)
        if key is None:
            return NameResult((), 0.0, f"company {company!r} has no usable name")
        cache_key = (_sorted_words(key), threshold, margin, within)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._search(cache_key[0], threshold, margin, within)
        found = self._cache[cache_key]
        return NameResult(found.account_ids, found.similarity, found.note.format(company=company))

    def _search(
        self, query: str, threshold: float, margin: float, within: frozenset[str] | None
    ) -> NameResult:
        """`search` for a word-sorted query; notes hold ``{company}`` to fill in."""
        forms = self._forms
        if within is not None:
            forms = [f for f in forms if within.intersection(self._ids[f])]
        scored = process.extract(
            query, forms, scorer=fuzz.ratio, limit=None, score_cutoff=max(0.0, threshold - margin)
        )
        if not scored:
            # Nothing within reach of the threshold: name the nearest miss, if any, for the report.
            nearest = process.extractOne(
                query, forms, scorer=fuzz.ratio, score_cutoff=_NEAREST_MISS
            )
            if nearest is None:
                return NameResult((), 0.0, "no account named like company {company!r}")
            scored = [nearest]
        scored.sort(key=lambda hit: (-hit[1], hit[0]))
        best_form, best, _ = scored[0]
        best_name = _braces(self._shown[best_form])
        if best < threshold:
            return NameResult(
                (),
                best,
                "company {company!r} below name threshold "
                f"(best {best_name!r} at {best:.0f} < {threshold:g})",
            )
        close = [form for form, score, _ in scored if best - score < margin]
        account_ids = sorted(
            {a for form in close for a in self._ids[form] if within is None or a in within}
        )
        if len(account_ids) == 1:
            return NameResult((account_ids[0],), best, f"company {{company!r}} ~ {best_name!r}")
        return NameResult(
            tuple(account_ids),
            best,
            f"company {{company!r}} names {len(account_ids)} accounts "
            f"({_braces(', '.join(account_ids))})",
        )


def _sorted_words(name: str) -> str:
    return " ".join(sorted(name.split()))


def _braces(text: str) -> str:
    """``text`` safe inside a `str.format` template."""
    return text.replace("{", "{{").replace("}", "}}")
