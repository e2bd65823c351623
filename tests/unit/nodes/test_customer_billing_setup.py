"""The ERP customer's billing setup, read from the vendors' record shapes: what is missing is listed."""

from __future__ import annotations

from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.builtins.billing_setup import CustomerBillingSetup, dynamics_setup, netsuite_setup

NS_OK = {
    "id": "1101",
    "terms": {"id": "2", "refName": "Net 30"},
    "currency": {"id": "2", "refName": "British pound", "symbol": "GBP"},
    "subsidiary": {"id": "2", "refName": "Northwind Advisory Ltd (UK)"},
    "taxRegistration": {"items": [{"line": 1, "nexusCountry": "GB", "taxRegistrationNumber": "GB123456789"}]},
}


def test_netsuite_customer_complete_or_missing_each_field():
    assert netsuite_setup(NS_OK, ["2", "3"])["setup_missing"] == []
    bare = {"id": "1102", "subsidiary": {"id": "2"}, "taxRegistration": {"items": []}}
    assert netsuite_setup(bare, ["2", "3"])["setup_missing"] == [
        "tax registration",
        "payment terms",
        "currency",
    ]
    # A subsidiary that does not charge VAT needs no registration; "*" means every subsidiary does.
    us = {**NS_OK, "subsidiary": {"id": "1"}, "taxRegistration": {"links": []}}
    assert netsuite_setup(us, ["2", "3"])["setup_missing"] == []
    assert netsuite_setup(us, ["*"])["setup_missing"] == ["tax registration"]
    assert netsuite_setup({"id": "9"}, [])["setup_missing"] == ["payment terms", "currency", "subsidiary"]


def test_business_central_customer():
    ok = {
        "id": "g1",
        "paymentTermsId": "3bb5b4b6-ea4c-43ca-ba1c-3b69e29a6668",
        "taxRegistrationNumber": "GB1",
    }
    assert dynamics_setup(ok, ["*"], "Northwind")["setup_missing"] == []
    bare = {"id": "g2", "paymentTermsId": "00000000-0000-0000-0000-000000000000", "currencyCode": ""}
    out = dynamics_setup(bare, ["Northwind"], "Northwind")
    assert out["setup_missing"] == ["tax registration", "payment terms"]
    assert out["customer_currency"] == ""  # blank: the company's local currency, not missing


def test_node_names_the_id_field():
    node = CustomerBillingSetup(
        {"system": "netsuite", "tax_registration_entities": ["2"], "id_field": "netsuite_customer_id"}
    )
    [out] = node.run(NodeContext(run_id=1, node_id="s", organisation_id=1), {"main": [NS_OK]})["main"]
    assert out["netsuite_customer_id"] == "1101" and "customer_id" not in out
    assert (out["customer_currency"], out["customer_entity"], out["setup_missing"]) == ("GBP", "2", [])
