"""The match node and the store behind it: linked items pass through without asking the ERP, an exact
match is linked, no match goes to create, a near match is held once (one review per source record), and a
person's decision (link / create new) is what the node follows on the next poll or a replay."""

from __future__ import annotations

from typing import Any

import pytest

from flowbuilder.crossref import actions as crossref
from flowbuilder.crossref.match_actions import decide_match
from flowbuilder.crossref.models import MatchReview, MatchStatus
from flowbuilder.crossref.store import OrganisationCrossref
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.builtins.match_customer import HELD_PORT
from flowbuilder.nodes.registry import load_registry

pytestmark = pytest.mark.django_db


class NetSuiteCustomers:
    """Stands in for a NetSuite connection: answers SuiteQL on customer from a fixed list and records
    every query (the node searches with LIKE on one name word or the domain)."""

    def __init__(self, customers: list[dict[str, Any]]) -> None:
        self.customers = customers
        self.queries: list[str] = []

    def run_action(self, key: str, params: dict[str, Any], **_: Any) -> list[dict[str, Any]]:
        assert key == "suiteql"
        self.queries.append(params["query"])
        query = params["query"].lower()
        return [
            c
            for c in self.customers
            if f"%{c['companyname'].split()[0].lower().strip(',')}%" in query
            or (c.get("url") and c["url"].lower() in query)
        ]


class BusinessCentralCustomers(NetSuiteCustomers):
    def run_action(self, key: str, params: dict[str, Any], **_: Any) -> list[dict[str, Any]]:
        assert key == "list_records" and params["entity_set"] == "customers"
        self.queries.append(params["filter"])
        return [c for c in self.customers if f"'{c['displayName'].split()[0]}'" in params["filter"]]


def _node(target_system: str = "netsuite"):
    cls = load_registry().get("sync.match_customer")
    return cls(
        {
            "connection": "conn_1",
            "source_system": "salesforce",
            "source_id": "{{ $item.Id }}",
            "target_system": target_system,
            "customer_field": "customer",
            "target_field": "netsuite_customer_id",
        }
    )


def _ctx(org: Any, handle: Any, run_id: int = 1) -> NodeContext:
    opened: list[str] = []

    def connection(ref: str) -> Any:
        opened.append(ref)
        return handle

    ctx = NodeContext(
        run_id=run_id,
        node_id="match",
        organisation_id=org.pk,
        crossref=OrganisationCrossref(org.pk),
    )
    ctx.connection = connection
    ctx.opened = opened  # type: ignore[attr-defined]
    return ctx


def _account(sf_id: str, name: str, website: str | None = None) -> dict[str, Any]:
    return {"Id": sf_id, "customer": {"name": name, "website": website}}


EXISTING = [
    {"id": "812", "companyname": "Acme Inc"},  # no website in NetSuite
    {"id": "813", "companyname": "Globex Corporation", "url": "https://globex.com"},
]


def test_exact_match_is_linked_and_no_match_goes_to_create(org):
    erp = NetSuiteCustomers(EXISTING)
    out = _node().run(
        _ctx(org, erp),
        {"main": [_account("001G", "Globex Corp.", "www.globex.com"), _account("001U", "Umbrella Ltd")]},
    )
    assert [i["netsuite_customer_id"] for i in out["main"]] == ["813"]
    assert out["main"][0]["match"]["how"] == "exact"
    assert [i["Id"] for i in out["create"]] == ["001U"] and out["create"][0]["netsuite_customer_id"] is None
    assert out[HELD_PORT] == []
    assert crossref.counterpart(org, "customer", "salesforce", "001G", "netsuite") == "813"
    assert not MatchReview.objects.exists()
    assert "UPPER(companyname) LIKE '%GLOBEX%'" in erp.queries[0] and "LIKE '%globex.com%'" in erp.queries[0]


def test_linked_items_pass_through_without_asking_the_erp(org):
    crossref.link(org, "customer", "salesforce", "001A", "netsuite", "812")
    ctx = _ctx(org, NetSuiteCustomers(EXISTING))
    out = _node().run(ctx, {"main": [_account("001A", "Acme, Inc.")]})
    assert out["main"][0]["netsuite_customer_id"] == "812"
    assert ctx.opened == []  # type: ignore[attr-defined]


def test_a_near_match_is_held_for_review_with_what_to_do(org):
    erp = NetSuiteCustomers(EXISTING)
    out = _node().run(_ctx(org, erp, run_id=41), {"main": [_account("001B", "Acme, Inc.", "acme.example")]})
    assert out["main"] == [] and out["create"] == []
    held = out[HELD_PORT][0]
    assert held["exception"]["category"] == "needs_review" and held["exception"]["item_index"] == 0
    assert "Match reviews" in held["exception"]["problem"] and "replay" in held["exception"]["problem"]
    review = MatchReview.objects.get()
    assert (review.source_id, review.status, review.node_id, review.item_index) == (
        "001B",
        "pending",
        "match",
        0,
    )
    assert review.candidates[0]["id"] == "812" and review.candidates[0]["fields"]["name"] == "same"
    assert crossref.counterpart(org, "customer", "salesforce", "001B", "netsuite") is None  # nothing linked
    # Seen again while pending (the next poll): still held, the same review refreshed, not a second one
    again = _node().run(
        _ctx(org, erp, run_id=42), {"main": [_account("001B", "Acme, Inc.", "acme.example.org")]}
    )
    assert len(again[HELD_PORT]) == 1 and MatchReview.objects.count() == 1
    assert MatchReview.objects.get().source["website"] == "acme.example.org"  # what the person sees is fresh


def test_decision_link_is_followed_on_replay(org, admin):
    erp = NetSuiteCustomers(EXISTING)
    first = _node().run(_ctx(org, erp), {"main": [_account("001B", "Acme, Inc.")]})
    assert len(first[HELD_PORT]) == 1
    decide_match(actor=admin, review=MatchReview.objects.get(), decision="link", target_id="812")
    ctx = _ctx(org, erp)
    replay = _node().run(ctx, {"main": [_account("001B", "Acme, Inc.")]})
    assert [i["netsuite_customer_id"] for i in replay["main"]] == ["812"] and replay[HELD_PORT] == []
    assert ctx.opened == []  # type: ignore[attr-defined]  # linked now: the ERP is not asked again


def test_decision_create_new_is_remembered_so_it_never_goes_to_review_again(org, admin):
    erp = NetSuiteCustomers(EXISTING)
    _node().run(_ctx(org, erp), {"main": [_account("001C", "ACME INC")]})
    review = decide_match(actor=admin, review=MatchReview.objects.get(), decision="create")
    assert review.status == MatchStatus.CREATED and review.decided_by == admin
    for _ in range(2):  # the replay, then the next poll
        out = _node().run(_ctx(org, erp), {"main": [_account("001C", "ACME INC")]})
        assert [i["Id"] for i in out["create"]] == ["001C"] and out[HELD_PORT] == []
    assert MatchReview.objects.count() == 1


def test_an_exact_match_already_linked_to_another_account_goes_to_review(org):
    crossref.link(org, "customer", "salesforce", "001X", "netsuite", "813")
    out = _node().run(
        _ctx(org, NetSuiteCustomers(EXISTING)), {"main": [_account("001Y", "Globex", "globex.com")]}
    )
    assert len(out[HELD_PORT]) == 1
    cand = MatchReview.objects.get().candidates[0]
    assert cand["linked_to"] == "001X" and cand["verdict"] == "near"


def test_business_central_candidates_are_searched_with_odata_contains(org):
    erp = BusinessCentralCustomers(
        [{"id": "c-1", "displayName": "Acme Inc", "website": "", "taxRegistrationNumber": "GB123456789"}]
    )
    item = {"Id": "001T", "customer": {"name": "ACME LIMITED", "tax_id": "gb 123 4567 89"}}
    out = _node("dynamics").run(_ctx(org, erp), {"main": [item]})
    assert out["main"][0]["netsuite_customer_id"] == "c-1"  # the same tax id: exact
    assert "contains(displayName,'Acme')" in erp.queries[0]


def test_an_item_without_a_customer_name_fails_naming_the_field(org):
    from flowbuilder.core.errors import NodeError

    with pytest.raises(NodeError) as err:
        _node().run(_ctx(org, NetSuiteCustomers([])), {"main": [{"Id": "001Z", "customer": {}}]})
    assert err.value.field == "customer_field"
