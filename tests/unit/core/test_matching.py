"""The customer matcher: normalisation of names, websites, tax ids and addresses, and the verdicts."""

from __future__ import annotations

import pytest

from flowbuilder.core import matching
from flowbuilder.core.matching import EXACT, NEAR, NONE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc", "acme"),
        ("Acme, Inc.", "acme"),
        ("ACME INC.", "acme"),
        ("  Acme   Incorporated ", "acme"),
        ("Globex Corporation", "globex"),
        ("Globex Corp.", "globex"),
        ("Initech LLC", "initech"),
        ("Northwind Advisory Ltd", "northwind advisory"),
        ("Northwind Advisory Limited", "northwind advisory"),
        ("Müller Consulting GmbH", "muller consulting"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Société Générale S.A.", "societe generale"),
        ("Van Dijk B.V.", "van dijk"),
        ("Tesco PLC", "tesco"),
        ("The Boring Company", "boring"),
        ("Smith & Sons Co", "smith and sons"),
        ("O'Brien Partners", "obrien partners"),
        ("Co", "co"),  # a name that is only a legal form keeps it
        ("", ""),
        (None, ""),
    ],
)
def test_names_normalise_without_case_punctuation_or_legal_form(raw, expected):
    assert matching.normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.acme.com/about-us", "acme.com"),
        ("http://ACME.com", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("acme.co.uk/", "acme.co.uk"),
        ("info@acme.com", "acme.com"),
        ("not a website", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_websites_and_emails_give_a_domain(raw, expected):
    assert matching.normalise_domain(raw) == expected


def test_tax_ids_lose_spaces_and_punctuation():
    assert matching.normalise_tax_id("gb 123 4567-89") == "GB123456789"
    assert matching.normalise_tax_id("DE-811.569.869") == "DE811569869"
    assert matching.normalise_tax_id(None) == ""


def test_addresses_normalise_street_words_postcode_and_country():
    got = matching.normalise_address(
        {
            "street": "1 Main Street, Suite 200",
            "city": "San Francisco",
            "postal_code": "94105 ",
            "country": "USA",
        }
    )
    assert got == {
        "street": "1 main st ste 200",
        "city": "san francisco",
        "postal_code": "94105",
        "country": "US",
    }
    uk = matching.normalise_address({"postal_code": "sw1a 1aa", "country": "United Kingdom"})
    assert uk["postal_code"] == "SW1A1AA" and uk["country"] == "GB"


ACME_SF = {
    "name": "Acme, Inc.",
    "website": "https://www.acme.com",
    "phone": "+1 (415) 555-0100",
    "address": {"street": "1 Main Street", "city": "San Francisco", "postal_code": "94105", "country": "USA"},
}


def test_same_name_and_domain_is_exact():
    result = matching.score(ACME_SF, {"id": "812", "name": "ACME Inc", "website": "acme.com"})
    assert result.verdict == EXACT and result.score >= 0.95
    assert result.fields["name"] == "same" and result.fields["website"] == "same"
    assert any("same domain acme.com" in r for r in result.reasons)


def test_same_tax_id_alone_is_exact_even_under_another_name():
    result = matching.score(
        {"name": "Acme Holdings", "tax_id": "US 12-3456789"}, {"name": "ACME Corp", "tax_id": "US123456789"}
    )
    assert result.verdict == EXACT and result.fields["tax_id"] == "same"


def test_same_name_without_website_or_tax_id_is_only_near():
    # "Acme, Inc." against an existing "Acme Inc" that has no website: two firms may share a name
    result = matching.score({"name": "Acme, Inc."}, {"name": "Acme Inc"})
    assert result.verdict == NEAR
    assert result.fields == {
        "name": "same",
        "website": "missing",
        "tax_id": "missing",
        "phone": "missing",
        "address": "missing",
    }


def test_same_name_with_a_different_domain_is_near_and_says_so():
    result = matching.score(ACME_SF, {"name": "Acme LLC", "website": "acme-tools.de"})
    assert result.verdict == NEAR and result.fields["website"] == "different"
    assert any("different domain" in r for r in result.reasons)


def test_similar_name_is_near():
    assert matching.score({"name": "Northwind Advisory Ltd"}, {"name": "Northwind Advisors"}).verdict == NEAR
    assert (
        matching.score({"name": "Globex"}, {"name": "Globex International"}).verdict == NEAR
    )  # word overlap


def test_same_domain_under_a_different_name_is_near():
    result = matching.score(
        {"name": "Initrode", "website": "initech.com"},
        {"name": "Initech LLC", "website": "http://initech.com"},
    )
    assert result.verdict == NEAR and result.fields["name"] == "different"


def test_unrelated_companies_are_no_match():
    assert matching.score({"name": "Acme Inc"}, {"name": "Globex Corporation"}).verdict == NONE
    assert matching.score({"name": "Acme Inc", "website": "acme.com"}, {"name": "Umbrella"}).verdict == NONE


def test_name_similarity_threshold_is_the_module_constant():
    a, b = "northwind advisory", "northwind advisors"
    assert matching.name_similarity(a, b) >= matching.NAME_SIMILARITY
    assert matching.name_similarity("acme", "apex") < matching.NAME_SIMILARITY


def test_a_netsuite_address_block_is_compared_by_its_words():
    cand = {"name": "Acme Inc", "address": "Acme Inc\n1 Main St\nSan Francisco CA 94105\nUnited States"}
    assert matching.score(ACME_SF, cand).fields["address"] == "same"
    moved = {"name": "Acme Inc", "address": "Acme Inc\n99 Market St\nSan Francisco CA 94105"}
    assert matching.score(ACME_SF, moved).fields["address"] == "different"


def test_a_netsuite_address_book_is_read_from_its_default_billing_line():
    line = {
        "defaultBilling": True,
        "addressBookAddress": {
            "addr1": "1 Main Street",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94105",
            "country": {"id": "US", "refName": "United States"},
        },
    }
    shipping = {"defaultShipping": True, "addressBookAddress": {"addr1": "9 Dock Rd", "zip": "10001"}}
    book = {"items": [shipping, line]}
    assert matching.normalise_address(book) == matching.normalise_address(ACME_SF["address"])
    assert matching.normalise_address(line["addressBookAddress"])["country"] == "US"
    assert matching.score(ACME_SF, {"name": "Acme Inc", "address": book}).fields["address"] == "same"


def test_a_postcode_written_with_a_space_matches_in_an_address_block():
    source = {"name": "Quay Ltd", "address": {"street": "1 Quay Street", "postal_code": "BS14DJ"}}
    cand = {"name": "Quay Ltd", "address": "1 Quay Street\nBristol BS1 4DJ\nUnited Kingdom"}
    assert matching.score(source, cand).fields["address"] == "same"


def test_decide_ranks_and_needs_exactly_one_exact_match():
    candidates = [
        {"id": "1", "name": "Acme Inc", "website": "acme.com"},
        {"id": "2", "name": "Acme Tools", "website": "acmetools.com"},
        {"id": "3", "name": "Globex"},
    ]
    verdict, ranked = matching.decide(ACME_SF, candidates)
    assert verdict == EXACT and [c["id"] for c in ranked] == ["1", "2"]
    twins = [
        {"id": "1", "name": "Acme Inc", "website": "acme.com"},
        {"id": "4", "name": "ACME", "website": "acme.com"},
    ]
    assert matching.decide(ACME_SF, twins)[0] == NEAR  # duplicates in the target: a person picks
    assert matching.decide(ACME_SF, [{"id": "3", "name": "Globex"}]) == (NONE, [])


def test_blocking_word_is_the_longest_word_of_the_normalised_name():
    assert matching.blocking_word({"name": "The Acme Widget Company, Inc."}) == "widget"
    assert matching.blocking_word({"name": ""}) == ""
