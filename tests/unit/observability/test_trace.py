"""The business trace: one deal found from each system's id, with its runs, records and where it is stuck."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flowbuilder.crossref import actions as crossref
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.observability import trace
from flowbuilder.observability.insight_models import BusinessRecord, TraceKey
from tests.support.documents import manual_document
from tests.support.flows import published_flow

DEAL = "0065g00000AbCdEAAZ"
ACCOUNT = "0015g00000XyZabAAB"
OTHER_DEAL = "0065g00000ZzZzZAA1"
NOW = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)


def published(admin, org, name):
    return published_flow(admin, org, name, manual_document(), comment="v1")


@pytest.fixture
def deal(org, admin):
    """A deal through quote-to-project (links written by its run), billing (time, invoice) and cash."""
    quote = published(admin, org, "Quote to project")
    cash = published(admin, org, "Billing to cash")
    q_run = run_actions.start_run(
        actor=admin, flow=quote, input_items=[{"Id": DEAL, "AccountId": ACCOUNT, "Name": "Acme rollout"}]
    )
    Run.objects.filter(pk=q_run.pk).update(status=RunStatus.SUCCEEDED, finished_at=NOW)
    # A sibling deal of the same account (must not show up in this deal's trace).
    run_actions.start_run(actor=admin, flow=quote, input_items=[{"Id": OTHER_DEAL, "AccountId": ACCOUNT}])
    crossref.link(org, "customer", "salesforce", ACCOUNT, "netsuite", "311", run_id=q_run.pk)
    crossref.link(org, "project", "salesforce", DEAL, "netsuite", "801", run_id=q_run.pk)
    crossref.link(org, "project", "salesforce", DEAL, "kantata", "501", run_id=q_run.pk)
    records = [
        BusinessRecord(
            organisation=org,
            role="psa",
            system="kantata",
            entity="time_entry",
            external_id="7001",
            parent_id="501",
            status="invoiced",
            hours=Decimal(6),
            occurred_at=NOW,
            fetched_at=NOW,
        ),
        BusinessRecord(
            organisation=org,
            role="erp",
            system="netsuite",
            entity="invoice",
            external_id="9001",
            name="INV-9001",
            parent_id="801",
            status="open",
            amount=Decimal(900),
            occurred_at=NOW,
            fetched_at=NOW,
        ),
        BusinessRecord(
            organisation=org,
            role="crm",
            system="salesforce",
            entity="opportunity",
            external_id=DEAL,
            name="Acme rollout",
            parent_id=ACCOUNT,
            status="won",
            occurred_at=NOW - dt.timedelta(days=9),
            fetched_at=NOW,
        ),
    ]
    BusinessRecord.objects.bulk_create(records)
    trace.index_records(org.pk, "kantata", records[:1])
    trace.index_records(org.pk, "netsuite", records[1:2])
    trace.index_records(org.pk, "salesforce", records[2:])
    # The cash flow's run for the invoice failed at its CRM step.
    c_run = run_actions.start_run(
        actor=admin, flow=cash, input_items=[{"id": "9001", "tranId": "INV-9001", "job": {"id": "801"}}]
    )
    Run.objects.filter(pk=c_run.pk).update(
        status=RunStatus.FAILED,
        finished_at=NOW,
        error={"message": "Salesforce refused the value", "node_id": "crm"},
    )
    return {"quote_run": q_run, "cash_run": c_run}


@pytest.mark.parametrize(
    ("query", "system"),
    [
        (DEAL, "salesforce"),
        ("801", "netsuite"),
        ("501", "kantata"),
        ("7001", "kantata"),
        ("9001", "netsuite"),
    ],
)
def test_the_deal_is_found_from_each_systems_id(org, deal, query, system):
    found = trace.search([org.pk], query, system=system)
    assert found["found"]
    ids = {(r["system"], r["id"]) for r in found["records"]}
    assert {
        ("salesforce", DEAL),
        ("netsuite", "801"),
        ("kantata", "501"),
        ("kantata", "7001"),
        ("netsuite", "9001"),
    } <= ids
    assert ("salesforce", ACCOUNT) in ids  # the customer is shown...
    assert ("salesforce", OTHER_DEAL) not in ids  # ...but the walk does not go through it to other deals
    assert {r["id"] for r in found["runs"]} == {deal["quote_run"].pk, deal["cash_run"].pk}
    assert found["stuck"]["run"] == deal["cash_run"].pk
    assert "failed at step crm: Salesforce refused the value" in found["stuck"]["message"]
    reached = {s["stage"]: s["reached"] for s in found["stages"]}
    assert reached == {
        "opportunity": True,
        "customer": True,
        "project": True,
        "time_entry": True,
        "invoice": True,
        "payment": False,
    }
    times = [e["at"] for e in found["timeline"]]
    assert times == sorted(times)


def test_a_customer_search_shows_its_deals(org, deal):
    found = trace.search([org.pk], ACCOUNT)
    ids = {r["id"] for r in found["records"]}
    assert {DEAL, OTHER_DEAL} <= ids


def test_without_failures_it_says_which_stage_is_missing(org, deal):
    Run.objects.filter(pk=deal["cash_run"].pk).update(status=RunStatus.SUCCEEDED)
    found = trace.search([org.pk], DEAL)
    assert found["stuck"] == {"stage": "payment", "run": None, "message": "Waiting for: paid."}
    BusinessRecord.objects.filter(external_id="9001").update(status="paid")
    assert trace.search([org.pk], DEAL)["stuck"]["message"] == "Complete: paid."


def test_other_tenants_ids_are_not_found(org, deal, make_org):
    other = make_org("Other")
    assert trace.search([other.pk], DEAL)["found"] is False
    assert trace.search([other.pk], "801")["records"] == []


def test_unknown_id(org, deal):
    found = trace.search([org.pk], "nope")
    assert found["found"] is False and found["stuck"] is None


def test_item_keys_are_recognised_by_their_systems_shapes():
    assert trace.keys_of_item({"Id": DEAL, "AccountId": ACCOUNT}) == [
        ("salesforce", "opportunity", DEAL),
        ("salesforce", "customer", ACCOUNT),
    ]
    assert trace.keys_of_item({"id": 7, "workspace_id": "501", "time_in_minutes": 60}) == [
        ("kantata", "time_entry", "7"),
        ("kantata", "project", "501"),
    ]
    assert trace.keys_of_item({"id": "9", "tranId": "INV-9", "job": {"id": "801"}}) == [
        ("netsuite", "invoice", "9"),
        ("netsuite", "project", "801"),
    ]
    assert trace.keys_of_item({"Id": "not-a-salesforce-id"}) == []


def test_a_run_start_indexes_its_items_and_a_failing_index_does_not_lose_the_run(org, admin, monkeypatch):
    flow = published(admin, org, "Hooked")
    run = run_actions.start_run(actor=admin, flow=flow, input_items=[{"Id": DEAL}])
    assert TraceKey.objects.filter(run=run, external_id=DEAL, thread=f"item:{run.pk}:0").exists()

    def broken(run):
        raise RuntimeError("index down")

    monkeypatch.setattr(TraceKey.objects, "bulk_create", broken)
    again = run_actions.start_run(actor=admin, flow=flow, input_items=[{"Id": DEAL}])
    assert Run.objects.filter(pk=again.pk).exists()
