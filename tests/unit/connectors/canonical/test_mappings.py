"""Canonical schemas and mappings: pure functions, plus every mapper over real sandbox records."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from connectors.canonical import (
    ENTITIES,
    MAPPERS,
    SCHEMA_VERSION,
    from_canonical,
    load_schema,
    mappers_for,
    to_canonical,
    validate_canonical,
)
from connectors.canonical.schemas import SCHEMA_DIR
from connectors.erp.dynamics.canonical import invoice_lines_from
from connectors.errors import InvalidInput


def test_every_schema_is_valid_and_versioned():
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(ENTITIES)
    for entity in ENTITIES:
        schema = load_schema(entity)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{entity}/{SCHEMA_VERSION}.json")
        assert "source_system" in schema["required"]
        json.dumps(schema)


def test_registry_lookup_and_unknown():
    assert MAPPERS[("netsuite", "invoice")].source == "invoice"
    assert {m.entity for m in mappers_for("kantata")} == {
        "project",
        "task",
        "time_entry",
        "expense",
        "invoice",
        "resource",
    }
    assert all(m.system == "netsuite" for m in mappers_for(entity="invoice") if m.system == "netsuite")
    with pytest.raises(InvalidInput):
        to_canonical("kantata", "payment", {})
    with pytest.raises(InvalidInput):
        load_schema("nope")


def test_validate_canonical_names_the_field():
    with pytest.raises(InvalidInput, match="hours"):
        validate_canonical("time_entry", {"source_system": "kantata", "date": "2026-01-05", "hours": "x"})
    with pytest.raises(InvalidInput, match="date"):
        validate_canonical("time_entry", {"source_system": "kantata", "date": "05/01/2026", "hours": 1})


def test_kantata_time_entry_units_round_trip():
    record = {
        "id": "9000001",
        "workspace_id": "5000001",
        "story_id": "7000001",
        "user_id": "1000001",
        "date_performed": "2026-01-05",
        "time_in_minutes": 90,
        "rate_in_cents": 20000,
        "billable": True,
        "notes": "",
        "currency": "USD",
        "updated_at": "2026-01-05T10:00:00+00:00",
    }
    canon = to_canonical("kantata", "time_entry", record)
    assert canon["hours"] == 1.5 and canon["bill_rate"] == 200.0 and canon["project_id"] == "5000001"
    assert "notes" not in canon
    validate_canonical("time_entry", canon)
    back = from_canonical("kantata", "time_entry", canon)
    assert (
        back["time_in_minutes"] == 90 and back["rate_in_cents"] == 20000 and back["workspace_id"] == "5000001"
    )


def test_certinia_timecard_to_canonical_and_back():
    record = {
        "Id": "a24Dn0000000001AAA",
        "pse__Project__c": "a1HDn0000000001AAA",
        "pse__Resource__c": "003Dn0000000001AAA",
        "pse__Start_Date__c": "2026-01-05",
        "pse__Monday_Hours__c": 8,
        "pse__Tuesday_Hours__c": 4,
        "pse__Total_Hours__c": 12,
        "LastModifiedDate": "2026-01-05T10:00:00.000+0000",
    }
    canon = to_canonical("certinia", "time_entry", record)
    assert canon["hours"] == 12 and canon["days"]["monday"] == 8 and canon["updated_at"].endswith("+00:00")
    validate_canonical("time_entry", canon)
    back = from_canonical(
        "certinia", "time_entry", {"source_system": "kantata", "date": "2026-01-07", "hours": 3}
    )
    assert back["pse__Start_Date__c"] == "2026-01-05" and back["pse__Wednesday_Hours__c"] == 3
    assert back["pse__End_Date__c"] == "2026-01-11" and back["pse__Monday_Hours__c"] == 0


def test_netsuite_invoice_lines_and_payment():
    record = {
        "id": "20001",
        "tranId": "INV10001",
        "entity": {"id": "1001", "refName": "Acme"},
        # refName is the currency's name; the connector adds the ISO code it looked up as symbol
        "currency": {"id": "2", "refName": "British pound", "symbol": "GBP"},
        "status": {"id": "open", "refName": "Open"},
        "total": 300.0,
        "amountRemaining": 300.0,
        "item": {
            "items": [
                {"line": 1, "item": {"id": "10", "refName": "T&M"}, "quantity": 2, "rate": 150, "amount": 300}
            ]
        },
    }
    canon = to_canonical("netsuite", "invoice", record)
    assert (
        canon["currency"] == "GBP"
        and canon["customer_id"] == "1001"
        and canon["lines"][0]["unit_price"] == 150
    )
    validate_canonical("invoice", canon)
    body = from_canonical("netsuite", "invoice", canon)
    # written as the ISO code: the connector's write actions look the account's currency id up
    assert body["entity"] == {"id": "1001"} and body["currency"] == "GBP"
    assert body["item"]["items"][0] == {
        "item": {"id": "10"},
        "description": "T&M",
        "quantity": 2.0,
        "rate": 150.0,
        "amount": 300.0,
    }
    payment = from_canonical(
        "netsuite",
        "payment",
        {
            "source_system": "dynamics",
            "amount": 300,
            "customer_id": "1001",
            "applied_to": [{"invoice_id": "20001", "amount": 300}],
        },
    )
    assert payment["apply"]["items"] == [{"doc": {"id": "20001"}, "amount": 300, "apply": True}]


def test_salesforce_account_and_opportunity_lines():
    account = {
        "Id": "001A",
        "Name": "Acme",
        "BillingCity": "Oslo",
        "External_Id__c": "X1",
        "Industry": "Legal",
    }
    canon = to_canonical("salesforce", "customer", account)
    assert canon == {
        "source_system": "salesforce",
        "source_id": "001A",
        "external_id": "X1",
        "name": "Acme",
        "industry": "Legal",
        "address": {"city": "Oslo"},
    }
    assert from_canonical("salesforce", "customer", canon) == {
        "Name": "Acme",
        "Industry": "Legal",
        "BillingCity": "Oslo",
        "External_Id__c": "X1",
    }
    opp = {
        "Id": "006A",
        "Name": "Deal",
        "Amount": 1000,
        "OpportunityLineItems": {
            "records": [{"Id": "00k1", "Quantity": 2, "UnitPrice": 500, "TotalPrice": 1000}]
        },
    }
    assert to_canonical("salesforce", "opportunity", opp)["lines"][0]["amount"] == 1000


def test_dynamics_invoice_and_lines():
    canon = {
        "source_system": "netsuite",
        "number": "INV1",
        "customer_number": "C00010",
        "invoice_date": "2026-01-31",
        "lines": [{"item_id": None, "description": "Fees", "quantity": 1, "unit_price": 10}],
    }
    assert from_canonical("dynamics", "invoice", canon) == {
        "externalDocumentNumber": "INV1",
        "customerNumber": "C00010",
        "invoiceDate": "2026-01-31",
    }
    assert invoice_lines_from(canon, "doc")[0]["lineType"] == "Comment"


def test_mappings_are_pure():
    record = {"id": "1", "title": "W", "price_in_cents": 100, "archived": False}
    copy = dict(record)
    to_canonical("kantata", "project", record)
    assert record == copy


# --- every mapper over records the connectors read from the sandbox ---------------------------------

SOURCES = {
    ("salesforce", "customer"): (
        "salesforce",
        "query",
        {"soql": "SELECT FIELDS(STANDARD), External_Id__c FROM Account LIMIT 50"},
    ),
    ("salesforce", "contact"): (
        "salesforce",
        "query",
        {"soql": "SELECT FIELDS(STANDARD) FROM Contact LIMIT 50"},
    ),
    ("salesforce", "opportunity"): (
        "salesforce",
        "query",
        {"soql": "SELECT FIELDS(STANDARD) FROM Opportunity LIMIT 50"},
    ),
    ("certinia", "project"): ("certinia", "list_projects", {"max_records": 50}),
    ("certinia", "milestone"): ("certinia", "list_milestones", {"max_records": 50}),
    ("certinia", "assignment"): ("certinia", "list_assignments", {"max_records": 50}),
    ("certinia", "time_entry"): ("certinia", "list_timecards", {"max_records": 50}),
    ("certinia", "expense"): ("certinia", "list_expenses", {"max_records": 50}),
    ("certinia", "invoice"): ("certinia", "list_billing_events", {"max_records": 50}),
    ("certinia", "resource"): (
        "salesforce",
        "query",
        {
            "soql": "SELECT Id, Name, FirstName, LastName, Email, Title, pse__Resource_Role__c, "
            "pse__Default_Cost_Rate__c, pse__Is_Resource_Active__c, LastModifiedDate FROM Contact "
            "WHERE pse__Is_Resource__c = true LIMIT 50"
        },
    ),
    ("kantata", "project"): ("kantata", "list_workspaces", {"max_records": 50}),
    ("kantata", "task"): ("kantata", "list_stories", {"max_records": 50}),
    ("kantata", "time_entry"): ("kantata", "list_time_entries", {"max_records": 50}),
    ("kantata", "expense"): ("kantata", "list_expenses", {"max_records": 50}),
    ("kantata", "invoice"): ("kantata", "list_invoices", {"max_records": 50}),
    ("kantata", "resource"): ("kantata", "list_users", {"max_records": 50}),
    ("netsuite", "customer"): (
        "netsuite",
        "list_records",
        {"record_type": "customer", "max_records": 20, "read_records": True},
    ),
    ("netsuite", "project"): (
        "netsuite",
        "list_records",
        {"record_type": "job", "max_records": 20, "read_records": True},
    ),
    ("netsuite", "invoice"): (
        "netsuite",
        "list_records",
        {"record_type": "invoice", "max_records": 20, "read_records": True},
    ),
    ("netsuite", "payment"): (
        "netsuite",
        "list_records",
        {"record_type": "customerpayment", "max_records": 20, "read_records": True},
    ),
    ("dynamics", "customer"): ("dynamics", "list_records", {"entity_set": "customers", "max_records": 50}),
    ("dynamics", "project"): ("dynamics", "list_records", {"entity_set": "projects", "max_records": 50}),
    ("dynamics", "invoice"): (
        "dynamics",
        "list_records",
        {"entity_set": "salesInvoices", "expand": "salesInvoiceLines", "max_records": 50},
    ),
    ("dynamics", "payment"): (
        "dynamics",
        "list_records",
        {"entity_set": "customerPayments", "max_records": 50},
    ),
}


@pytest.fixture(scope="module")
def runtimes(sandbox):
    from connectors.crm.salesforce.connector import SalesforceConnector
    from connectors.erp.dynamics.connector import DynamicsConnector
    from connectors.erp.netsuite.connector import NetSuiteConnector
    from connectors.psa.certinia.connector import CertiniaConnector
    from connectors.psa.kantata.connector import KantataConnector
    from tests.support.sandbox import make_connect

    sf = {"base_url": sandbox.url + "/salesforce"}
    opened = {
        "salesforce": make_connect(sandbox, SalesforceConnector(), "salesforce", sf)(),
        "certinia": make_connect(sandbox, CertiniaConnector(), "salesforce", sf)(),
        "kantata": make_connect(
            sandbox, KantataConnector(), "kantata", {"base_url": sandbox.url + "/kantata"}
        )(),
        "netsuite": make_connect(
            sandbox, NetSuiteConnector(), "netsuite", {"base_url": sandbox.url + "/netsuite"}
        )(),
    }
    probe = make_connect(
        sandbox,
        DynamicsConnector(),
        "dynamics",
        {"base_url": sandbox.url + "/dynamics", "company_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12},
    )()
    companies = probe.http.get("/api/v2.0/companies").json()["value"]
    probe.close()
    opened["dynamics"] = make_connect(
        sandbox,
        DynamicsConnector(),
        "dynamics",
        {"base_url": sandbox.url + "/dynamics", "company_id": companies[0]["id"]},
    )()
    yield opened
    for runtime in opened.values():
        runtime.close()


def test_sources_cover_every_mapper():
    assert set(SOURCES) == set(MAPPERS)


@pytest.mark.parametrize("key", sorted(SOURCES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_mapper_over_sandbox_records(runtimes, key):
    system, entity = key
    connection, action, params = SOURCES[key]
    records = runtimes[connection].run_action(action, params)
    assert records
    for record in records:
        canon = to_canonical(system, entity, record)
        validate_canonical(entity, canon)
        assert canon["source_system"] == system and canon["source_id"]
        body = from_canonical(system, entity, canon)
        assert isinstance(body, dict) and None not in body.values()


def test_canonical_write_path_kantata_to_certinia(runtimes):
    """A Kantata time entry, through the canonical model, becomes a Certinia timecard body that saves."""
    entry = runtimes["kantata"].run_action("list_time_entries", {"max_records": 1})[0]
    canon = to_canonical("kantata", "time_entry", entry)
    timecard = runtimes["certinia"].run_action("list_timecards", {"max_records": 1})[0]
    body = from_canonical(
        "certinia",
        "time_entry",
        {**canon, "project_id": timecard["pse__Project__c"], "resource_id": timecard["pse__Resource__c"]},
    )
    saved = runtimes["certinia"].run_action(
        "upsert_timecard", {"external_id": f"KT-{entry['id']}", "fields": body}
    )
    got = runtimes["certinia"].run_action("get_timecard", {"id": saved["id"]})
    assert got["pse__Total_Hours__c"] == canon["hours"]
