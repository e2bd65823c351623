"""The canonical to/from nodes (pure): their declared mappings, a round trip, fields on the item, and
config validation of the (system, entity) pair."""

from __future__ import annotations

import pytest

from connectors.canonical import to_canonical
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.registry import load_registry
from flowbuilder.validation import validate_document
from tests.support.documents import document, node

CTX = NodeContext(run_id=1, node_id="n", organisation_id=1)
ACCOUNT = {
    "Id": "001000000000001AAA",
    "Name": "Acme Consulting",
    "BillingCountry": "gb",
    "External_Id__c": "ACME-1",
    "LastModifiedDate": "2026-01-05T10:00:00.000+0000",
}


def _codes(doc):
    return [(f.code, f.node_id, f.field) for f in validate_document(doc) if f.severity == "error"]


def test_canonical_nodes_declare_their_mappings_as_enums():
    registry = load_registry()
    for type_id in ("canonical.to", "canonical.from"):
        props = registry.get(type_id).config_schema["properties"]
        assert {"salesforce", "netsuite", "kantata", "certinia", "dynamics"} <= set(props["system"]["enum"])
        assert {"customer", "invoice", "time_entry"} <= set(props["entity"]["enum"])
        assert not registry.get(type_id).side_effects


def test_to_and_from_canonical_round_trip():
    registry = load_registry()
    to = registry.get("canonical.to")({"system": "salesforce", "entity": "customer", "validate": True})
    canon = to.run(CTX, {"main": [ACCOUNT]})["main"]
    assert canon == [to_canonical("salesforce", "customer", ACCOUNT)]
    assert canon[0]["name"] == "Acme Consulting" and canon[0]["source_id"] == ACCOUNT["Id"]
    back = registry.get("canonical.from")({"system": "netsuite", "entity": "customer"})
    fields = back.run(CTX, {"main": canon})["main"][0]
    assert fields == {"companyName": "Acme Consulting"}


def test_canonical_fields_on_the_item():
    registry = load_registry()
    to = registry.get("canonical.to")(
        {"system": "salesforce", "entity": "customer", "record_field": "account", "target_field": "canon"}
    )
    out = to.run(CTX, {"main": [{"account": ACCOUNT, "keep": 1}]})["main"][0]
    assert out["keep"] == 1 and out["canon"]["name"] == "Acme Consulting"
    from flowbuilder.core.errors import NodeError

    with pytest.raises(NodeError, match="not an object"):
        to.run(CTX, {"main": [{"account": "x"}]})


def test_canonical_pair_must_exist():
    doc = document([node("c", "canonical.to", {"system": "kantata", "entity": "payment"})], [])
    assert [(c[0], c[2]) for c in _codes(doc)] == [("config_invalid", "entity")]
    assert (
        _codes(document([node("c", "canonical.from", {"system": "kantata", "entity": "time_entry"})], []))
        == []
    )
