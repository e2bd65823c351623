"""Which ERP records a template parameter's value names, how a bad declaration is refused, and the shared
keys that hold several templates' parameters to one value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.flows import shared_values
from flowbuilder.flows.references import _wanted, check_declaration

SLOTS = {"netsuite": {"name": "netsuite", "kind": "connection"}}


def test_a_table_per_entity_names_its_keys_and_leaves():
    spec = {"connection": "netsuite", "values": "item", "keys": "subsidiary"}
    value = {"1": {"time": "10", "expense": "13"}, "default": {"time": "11"}, "2": {"milestone": ""}}
    assert _wanted("items", value, spec) == [
        ("subsidiary", "1", "items['1']"),
        ("item", "10", "items['1']['time']"),
        ("item", "13", "items['1']['expense']"),
        ("item", "11", "items['default']['time']"),  # 'default' is no subsidiary, its items still count
        ("subsidiary", "2", "items['2']"),
    ]
    assert _wanted("entities", ["2", "*"], {"connection": "netsuite", "values": "subsidiary"}) == [
        ("subsidiary", "2", "entities[0]")
    ]
    assert _wanted("item", "CONS-HR", {"connection": "d", "values": "item", "keys": None}) == [
        ("item", "CONS-HR", "item")
    ]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"connection": "crm", "values": "item"}, "parameters[3].references.connection"),
        ({"connection": "netsuite", "keys": "planet"}, "parameters[3].references.keys"),
        ({"connection": "netsuite"}, "parameters[3].references"),
    ],
)
def test_bad_declarations_name_the_field(spec, field):
    with pytest.raises(InvalidInputError) as refused:
        check_declaration(spec, SLOTS, "parameters[3]")
    assert refused.value.field == field


@pytest.mark.parametrize("key", ["", "Owners", "1st", "a b", "x" * 101, 3, None])
def test_bad_shared_keys_name_the_field(key):
    with pytest.raises(InvalidInputError) as refused:
        shared_values.check_declaration(key, "parameters[2]")
    assert refused.value.field == "parameters[2].shared"


def test_a_shared_key_is_kept():
    assert shared_values.check_declaration("customer_master_owners_salesforce_netsuite", "p") == (
        "customer_master_owners_salesforce_netsuite"
    )


def test_the_business_central_tax_codes_per_kind_are_each_checked_as_a_tax_group():
    """The Certinia + Business Central billing template checks every code of its tax table (one per kind
    of line, or one for all) in the company's taxGroups, as it checks its item numbers."""
    spec = json.loads(
        (
            Path(__file__).resolve().parents[3] / "fixtures/templates/project_to_billing_certinia_bc.json"
        ).read_text()
    )
    [param] = [p for p in spec["parameters"] if p["name"] == "tax_codes"]
    declared = check_declaration(param["references"], {"dynamics": {}}, "parameters[0]")
    value = {"default": {"time": "STANDARD", "expense": "ZERO", "milestone": "STANDARD"}}
    assert _wanted("tax_codes", value, declared) == [
        ("tax_group", "STANDARD", "tax_codes['default']['time']"),
        ("tax_group", "ZERO", "tax_codes['default']['expense']"),
        ("tax_group", "STANDARD", "tax_codes['default']['milestone']"),
    ]
    assert _wanted("tax_codes", {"default": "STANDARD"}, declared) == [
        ("tax_group", "STANDARD", "tax_codes['default']")
    ]
