"""A customer's business world with known differences: what the CRM, PSA and ERP hold, and the links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flowbuilder.crossref import actions as crossref
from flowbuilder.observability.insight_models import BusinessRecord
from flowbuilder.observability.trace import index_records

NOW = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)  # a Monday


def rec(org: Any, role: str, system: str, entity: str, ext: str, **values: Any) -> BusinessRecord:
    return BusinessRecord(
        organisation=org, role=role, system=system, entity=entity, external_id=ext, fetched_at=NOW, **values
    )


@pytest.fixture
def business(org: Any) -> dict[str, Any]:
    """Salesforce deals and accounts, Kantata projects and time, NetSuite projects and invoices.

    Known differences: deal 006B (won 3 days ago) has no project; account 001C has no NetSuite customer;
    time entry 7003 (approved 10 days ago, billable) is not invoiced; invoice 9002 is paid but the CRM
    does not say so; in February Kantata project 501 has 10 h / 1500.00 approved, NetSuite job 801 has
    8 h / 1200.00 invoiced; project 502 (deal 006D) has 4 h that no ERP project links.
    """
    d = Decimal
    rows = [
        rec(
            org,
            "crm",
            "salesforce",
            "opportunity",
            "006A",
            name="Acme rollout",
            parent_id="001A",
            status="won",
            amount=d("50000.00"),
            occurred_at=NOW - dt.timedelta(days=40),
            data={"Billing_Invoice__c": "INV-9001", "Billing_Status__c": "Paid", "NextStep": ""},
        ),
        rec(
            org,
            "crm",
            "salesforce",
            "opportunity",
            "006B",
            name="Beta upgrade",
            parent_id="001B",
            status="won",
            amount=d("12000.00"),
            occurred_at=NOW - dt.timedelta(days=3),
            data={"Description": "", "NextStep": ""},
        ),
        rec(
            org,
            "crm",
            "salesforce",
            "opportunity",
            "006E",
            name="Fresh deal",
            parent_id="001B",
            status="won",
            amount=d("999.00"),
            occurred_at=NOW - dt.timedelta(hours=2),
            data={"Description": "", "NextStep": ""},
        ),
        rec(
            org,
            "crm",
            "salesforce",
            "opportunity",
            "006D",
            name="Delta build",
            parent_id="001A",
            status="won",
            amount=d("8000.00"),
            occurred_at=NOW - dt.timedelta(days=30),
            data={"Billing_Invoice__c": "INV-9002", "Billing_Status__c": "Partially paid", "NextStep": ""},
        ),
        rec(org, "crm", "salesforce", "customer", "001A", name="Acme", status="Customer - Direct"),
        rec(org, "crm", "salesforce", "customer", "001B", name="Beta", status="Customer - Channel"),
        rec(org, "crm", "salesforce", "customer", "001C", name="Gamma", status="Customer - Direct"),
        rec(org, "psa", "kantata", "project", "501", name="Acme rollout"),
        rec(org, "psa", "kantata", "project", "502", name="Delta build"),
        rec(
            org,
            "psa",
            "kantata",
            "time_entry",
            "7001",
            parent_id="501",
            status="invoiced",
            hours=d("6.00"),
            amount=d("900.00"),
            occurred_at=NOW - dt.timedelta(days=20),
            data={
                "billable": True,
                "invoiced": True,
                "date": "2026-02-10",
                "invoiced_at": "2026-02-20T10:00:00+00:00",
            },
        ),
        rec(
            org,
            "psa",
            "kantata",
            "time_entry",
            "7002",
            parent_id="501",
            status="approved",
            hours=d("4.00"),
            amount=d("600.00"),
            occurred_at=NOW - dt.timedelta(days=2),
            data={"billable": True, "invoiced": False, "date": "2026-02-12"},
        ),
        rec(
            org,
            "psa",
            "kantata",
            "time_entry",
            "7003",
            parent_id="501",
            status="approved",
            hours=d("2.50"),
            amount=d("375.00"),
            occurred_at=NOW - dt.timedelta(days=10),
            data={"billable": True, "invoiced": False, "date": "2026-03-02"},
        ),
        rec(
            org,
            "psa",
            "kantata",
            "time_entry",
            "7004",
            parent_id="501",
            status="approved",
            hours=d("3.00"),
            amount=d("0.00"),
            occurred_at=NOW - dt.timedelta(days=10),
            data={"billable": False, "invoiced": False, "date": "2026-03-02"},
        ),
        rec(
            org,
            "psa",
            "kantata",
            "time_entry",
            "7005",
            parent_id="502",
            status="invoiced",
            hours=d("4.00"),
            amount=d("800.00"),
            occurred_at=NOW - dt.timedelta(days=25),
            data={
                "billable": True,
                "invoiced": True,
                "date": "2026-02-03",
                "invoiced_at": "2026-02-04T10:00:00+00:00",
            },
        ),
        rec(org, "erp", "netsuite", "project", "801", name="PRJ Acme rollout"),
        rec(
            org,
            "erp",
            "netsuite",
            "invoice",
            "9001",
            name="INV-9001",
            parent_id="801",
            status="paid",
            amount=d("1200.00"),
            hours=d("8.00"),
            occurred_at=NOW - dt.timedelta(days=14),
            data={"paid_at": "2026-03-05T10:00:00+00:00", "time_amount": "1200.00", "period": "2026-02"},
        ),
        rec(
            org,
            "erp",
            "netsuite",
            "invoice",
            "9002",
            name="INV-9002",
            parent_id="802",
            status="paid",
            amount=d("800.00"),
            hours=d("4.00"),
            occurred_at=NOW - dt.timedelta(days=14),
            data={"paid_at": "2026-03-06T10:00:00+00:00", "time_amount": "800.00", "period": "2026-01"},
        ),
    ]
    BusinessRecord.objects.bulk_create(rows)
    for system in ("salesforce", "kantata", "netsuite"):
        index_records(org.pk, system, [r for r in rows if r.system == system])
    # The links the lifecycle flows wrote.
    crossref.link(org, "project", "salesforce", "006A", "netsuite", "801")
    crossref.link(org, "project", "salesforce", "006A", "kantata", "501")
    crossref.link(org, "project", "salesforce", "006D", "kantata", "502")
    crossref.link(org, "project", "salesforce", "006D", "netsuite", "802")
    crossref.link(org, "customer", "salesforce", "001A", "netsuite", "311")
    crossref.link(org, "customer", "salesforce", "001B", "netsuite", "312")
    return {"org": org, "now": NOW}
