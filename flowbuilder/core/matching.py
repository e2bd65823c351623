"""Customer duplicate detection: normalise what identifies a company, then score candidates against it.

Pure (no ORM, no I/O), so it is tested on its own and shared by the match node (its candidate search)
and the cross-reference store (its verdicts). A record is a plain dict in the canonical customer's
shape: ``name``, ``website``, ``tax_id``, ``phone``, ``email`` and ``address`` (``street``, ``city``,
``postal_code``, ``country``).

The verdict per candidate:

* ``exact``: the same normalised name and the same domain or tax id, or the same tax id alone. Safe to
  link without asking anyone.
* ``near``: a similar name (:data:`NAME_SIMILARITY` on difflib's ratio, or :data:`TOKEN_OVERLAP` of the
  name's words), or the same domain under a different name. A person decides.
* ``none``: nothing in common worth a look.

"Acme Inc" and "Acme, Inc." normalise to the same name (``acme``); with no website or tax id on either
side that is only *near*: two firms of one name exist, so a person confirms.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: difflib ratio of two normalised names at or above which they are "similar" (a near match).
NAME_SIMILARITY = 0.85
#: Share of the shorter name's words found in the other at or above which names are "similar".
TOKEN_OVERLAP = 0.75

EXACT = "exact"
NEAR = "near"
NONE = "none"
_RANK = {EXACT: 2, NEAR: 1, NONE: 0}

# Legal forms dropped from the end of a name (after punctuation is gone, so "Inc." is "inc").
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "pty",
        "pte",
        "oy",
        "ab",
        "as",
        "aps",
        "kg",
        "kk",
    }
)
_TWO_WORD_SUFFIXES = (("s", "a"), ("b", "v"), ("n", "v"), ("co", "ltd"), ("pty", "ltd"), ("gmbh", "co"))
_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "gb": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "de": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "nl": "NL",
    "netherlands": "NL",
    "the netherlands": "NL",
    "fr": "FR",
    "france": "FR",
    "ca": "CA",
    "canada": "CA",
    "au": "AU",
    "australia": "AU",
    "ie": "IE",
    "ireland": "IE",
    "ch": "CH",
    "switzerland": "CH",
    "es": "ES",
    "spain": "ES",
}
_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "suite": "ste",
    "lane": "ln",
    "place": "pl",
    "square": "sq",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
# The set of fields compared and shown side by side on the review page, in that order.
FIELDS = ("name", "website", "tax_id", "phone", "email", "address")


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKD", str(value))
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(value: Any) -> list[str]:
    text = _text(value).lower().replace("&", " and ")
    text = _NON_WORD.sub(" ", text.replace("'", ""))  # "O'Brien" -> obrien, "Acme, Inc." -> acme inc
    return [w for w in _SPACE.split(text) if w]


def normalise_name(value: Any) -> str:
    """Lower case, no accents or punctuation, single spaces, legal forms dropped from the end.

    ``"Acme, Inc."`` -> ``acme``; ``"Müller GmbH & Co. KG"`` -> ``muller``; a leading "the" is dropped.
    """
    words = _words(value)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1:
        if tuple(words[-2:]) in _TWO_WORD_SUFFIXES:
            words = words[:-2]
        elif words[-1] in LEGAL_SUFFIXES or words[-1] == "and":
            words = words[:-1]
        else:
            break
    return " ".join(words)


def normalise_domain(value: Any) -> str:
    """The registrable-looking host of a website or an e-mail address: ``https://www.Acme.com/about``
    and ``info@acme.com`` -> ``acme.com``. Empty when there is none."""
    text = _text(value).strip().lower()
    if not text:
        return ""
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host else ""


def normalise_tax_id(value: Any) -> str:
    """Spaces and punctuation stripped, upper case: ``"gb 123 4567-89"`` -> ``GB123456789``."""
    return re.sub(r"[^0-9A-Za-z]", "", _text(value)).upper()


def normalise_phone(value: Any) -> str:
    """Digits only, the last ten (so +1 and a national leading 0 do not matter)."""
    digits = re.sub(r"\D", "", _text(value))
    return digits[-10:]


def normalise_country(value: Any) -> str:
    words = " ".join(_words(value))
    return _COUNTRIES.get(words, words.upper())


def _netsuite_address(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """NetSuite's shapes as the canonical one: an address book (``{"items": [...]}``, its default billing
    line, else its first) or a line, down to its ``addressBookAddress`` (addr1-3, city, state, zip and the
    country as a reference ``{"id": "GB", "refName": ...}``)."""
    if isinstance(value.get("items"), list):
        lines = [line for line in value["items"] if isinstance(line, Mapping)]
        value = next((line for line in lines if line.get("defaultBilling")), lines[0] if lines else {})
    if isinstance(value.get("addressBookAddress"), Mapping):
        value = value["addressBookAddress"]
    if not any(k in value for k in ("addr1", "addr2", "addr3", "zip")):
        return value
    country = value.get("country")
    if isinstance(country, Mapping):
        country = country.get("id") or country.get("refName")
    street = "\n".join(str(value[k]) for k in ("addr1", "addr2", "addr3") if value.get(k))
    return {"street": street, "city": value.get("city"), "postal_code": value.get("zip"), "country": country}


def normalise_address(value: Any) -> dict[str, str]:
    """``street`` (common words abbreviated), ``city``, ``postal_code`` (no spaces, upper), ``country``
    (ISO code where known). Accepts the canonical ``{street, city, postal_code, country}`` object, NetSuite's
    address book, line or address subrecord, or one block of text (NetSuite's read-only ``defaultAddress``,
    which SuiteQL returns: compared as words)."""
    if not isinstance(value, Mapping):
        return {"text": " ".join(_STREET_WORDS.get(w, w) for w in _words(value))}
    value = _netsuite_address(value)
    street = " ".join(_STREET_WORDS.get(w, w) for w in _words(value.get("street")))
    return {
        "street": street,
        "city": " ".join(_words(value.get("city"))),
        "postal_code": normalise_tax_id(value.get("postal_code") or value.get("postcode")),
        "country": normalise_country(value.get("country")),
    }


@dataclass(frozen=True)
class Normalised:
    name: str
    domain: str
    tax_id: str
    phone: str
    address: dict[str, str] = field(default_factory=dict)


def normalise(record: Mapping[str, Any]) -> Normalised:
    """Everything the matcher compares, from a canonical customer (website, else e-mail, gives the domain)."""
    domain = normalise_domain(record.get("website")) or normalise_domain(record.get("email"))
    return Normalised(
        name=normalise_name(record.get("name")),
        domain=domain,
        tax_id=normalise_tax_id(record.get("tax_id")),
        phone=normalise_phone(record.get("phone")),
        address=normalise_address(record.get("address") or {}),
    )


def name_similarity(a: str, b: str) -> float:
    """The larger of difflib's ratio and the word overlap (of the shorter name) of two normalised names."""
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    wa, wb = set(a.split()), set(b.split())
    overlap = len(wa & wb) / min(len(wa), len(wb))
    return round(max(ratio, overlap if overlap >= TOKEN_OVERLAP else 0.0), 3)


def _field_comparison(src: Normalised, cand: Normalised, similarity: float) -> dict[str, str]:
    """Per field: ``same``, ``similar``, ``different`` or ``missing`` (either side has none)."""

    def cmp(a: str, b: str) -> str:
        if not a or not b:
            return "missing"
        return "same" if a == b else "different"

    name = cmp(src.name, cand.name)
    if name == "different" and similarity >= NAME_SIMILARITY:
        name = "similar"
    sa, ca = src.address, cand.address
    if "text" in sa or "text" in ca:  # one side is a block of text: its words must hold the other's
        text, other = (sa, ca) if "text" in sa else (ca, sa)
        words = set(text.get("text", "").split())
        compact = "".join(text.get("text", "").split())  # a postal code may be written with a space
        street, postal = other.get("street", ""), other.get("postal_code", "").lower()
        parts = ["missing"] if not words or not (street or postal) else []
        if words and street:
            parts.append("same" if set(street.split()) <= words else "different")
        if words and postal:
            parts.append("same" if postal in compact else "different")
    else:
        parts = [cmp(sa.get(k, ""), ca.get(k, "")) for k in ("street", "city", "postal_code", "country")]
    if all(p == "missing" for p in parts):
        address = "missing"
    elif "different" in parts:
        address = "different"
    else:
        address = "same"
    return {
        "name": name,
        "website": cmp(src.domain, cand.domain),
        "tax_id": cmp(src.tax_id, cand.tax_id),
        "phone": cmp(src.phone, cand.phone),
        "address": address,
    }


@dataclass(frozen=True)
class Score:
    """One candidate's verdict: ``verdict`` (exact / near / none), a 0..1 ``score`` to sort by, the
    ``reasons`` in words and the per-field comparison (``same`` / ``similar`` / ``different`` /
    ``missing``)."""

    verdict: str
    score: float
    reasons: tuple[str, ...]
    fields: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "score": self.score,
            "reasons": list(self.reasons),
            "fields": dict(self.fields),
        }


def score(source: Mapping[str, Any], candidate: Mapping[str, Any]) -> Score:
    """How ``candidate`` (a target system's customer) matches ``source``."""
    src, cand = normalise(source), normalise(candidate)
    similarity = name_similarity(src.name, cand.name)
    fields = _field_comparison(src, cand, similarity)
    same_name = fields["name"] == "same"
    same_domain = fields["website"] == "same"
    same_tax = fields["tax_id"] == "same"
    reasons: list[str] = []
    if same_tax:
        reasons.append(f"same tax id {src.tax_id}")
    if same_name:
        reasons.append(f"same name ({src.name!r} once legal form and punctuation are ignored)")
    elif similarity >= NAME_SIMILARITY:
        reasons.append(f"similar name ({similarity:.0%})")
    if same_domain:
        reasons.append(f"same domain {src.domain}")
    if fields["tax_id"] == "different":
        reasons.append("different tax id")
    if fields["website"] == "different":
        reasons.append(f"different domain ({src.domain} / {cand.domain})")
    if fields["phone"] == "same":
        reasons.append("same phone")
    if fields["address"] == "same":
        reasons.append("same address")

    if (same_name and (same_domain or same_tax)) or same_tax:
        verdict = EXACT
    elif same_name or similarity >= NAME_SIMILARITY or same_domain:
        verdict = NEAR
    else:
        verdict = NONE
    points = (
        0.5 * (1.0 if same_name else similarity)
        + 0.25 * same_domain
        + 0.15 * same_tax
        + 0.05 * (fields["phone"] == "same")
        + 0.05 * (fields["address"] == "same")
    )
    if verdict == EXACT:
        points = max(points, 0.95)
    return Score(verdict, round(min(points, 1.0), 3), tuple(reasons), fields)


def rank(source: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Candidates that are at least near, best first: ``{**candidate_score, "id", "record"}``. Each
    candidate needs an ``id`` (the target system's id)."""
    scored = []
    for cand in candidates:
        result = score(source, cand)
        if result.verdict == NONE:
            continue
        scored.append({"id": str(cand.get("id")), "record": dict(cand), **result.as_dict()})
    scored.sort(key=lambda c: (_RANK[c["verdict"]], c["score"]), reverse=True)
    return scored


def decide(source: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]]) -> tuple[str, list[dict]]:
    """(``exact`` | ``near`` | ``none``, the ranked candidates). ``exact`` only when exactly one candidate
    is exact: two exact candidates are duplicates in the target system, and a person picks."""
    ranked = rank(source, candidates)
    exact = [c for c in ranked if c["verdict"] == EXACT]
    if len(exact) == 1:
        return EXACT, ranked
    if ranked:
        return NEAR, ranked
    return NONE, ranked


def blocking_word(record: Mapping[str, Any]) -> str:
    """The longest word of the normalised name: what a candidate search in the target system filters on
    (a LIKE/contains on one word finds "Acme Inc", "ACME Corporation" and "Acme, Inc." alike)."""
    words = normalise_name(record.get("name")).split()
    return max(words, key=len) if words else ""
