"""Pins the seeded data: the same seed and anchor must give exactly these records.

Each system seeds from one shared random stream in a fixed order (sandbox/seed.py), so a change in any
seed, or in that order, shows up here. If you change the seed on purpose, update the pins.
"""

from __future__ import annotations

import pytest

from sandbox.platform.store import Store
from sandbox.seed import seed_all

COUNTS = {
    "salesforce": {
        "User": 25,
        "Pricebook2": 1,
        "Product2": 8,
        "PricebookEntry": 8,
        "Account": 151,
        "Contact": 756,
        "Opportunity": 376,
        "OpportunityLineItem": 262,
        "pse__Rate_Card__c": 8,
        "pse__Proj__c": 142,
        "pse__Milestone__c": 425,
        "pse__Billing_Event__c": 16,
        "pse__Billing_Event_Item__c": 16,
        "pse__Schedule__c": 516,
        "pse__Assignment__c": 516,
        "pse__Timecard_Header__c": 1939,
        "pse__Timecard__c": 2345,
        "pse__Expense_Report__c": 35,
        "pse__Expense__c": 70,
        "pse__Resource_Request__c": 113,
        "pse__Miscellaneous_Adjustment__c": 56,
    },
    "kantata": {
        "users": 300,
        "expense_categories": 6,
        "rate_cards": 1,
        "rate_card_versions": 1,
        "roles": 8,
        "rate_card_roles": 8,
        "workspaces": 134,
        "stories": 664,
        "time_entries": 3840,
        "expenses": 407,
        "invoices": 131,
        "custom_field_sets": 1,
        "custom_fields": 7,
    },
    "netsuite": {
        # the account's setup records (fixed, no random draws), then the seeded business
        "currency": 4,
        "subsidiary": 3,
        "term": 4,
        "pricelevel": 2,
        "department": 3,
        "classification": 3,
        "location": 3,
        "servicesaleitem": 5,
        "salestaxitem": 3,
        "customer": 140,
        "job": 85,
        "invoice": 524,
        "customerpayment": 331,
    },
    "dynamics": {
        "companies": 3,
        "customers": 115,
        "projects": 88,
        "salesInvoices": 274,
        "salesInvoiceLines": 551,
        "customerPaymentJournals": 3,
        "postedCustomerPayments": 166,
        "customerPayments": 5,
        "billingSchedules": 3,
        # the setup records a template's parameters name, of the main company and of the company that
        # uses VAT (fixed, no random draws)
        "items": 8,
        "taxGroups": 5,
        "currencies": 5,
    },
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("seed"))
    counts = seed_all(store, seed=20260101, anchor="2026-03-15")
    yield store, counts
    store.close()


def _pick(record: dict, *keys: str) -> dict:
    return {key: record.get(key) for key in keys}


def test_counts_per_system_and_object_in_seeding_order(seeded):
    _, counts = seeded
    assert counts == COUNTS
    assert [list(objects) for objects in counts.values()] == [list(objects) for objects in COUNTS.values()]


def test_salesforce_and_certinia_records(seeded):
    store, _ = seeded
    assert _pick(store.all("salesforce", "User")[0], "Id", "Name") == {
        "Id": "005Dn0000000001IAA",
        "Name": "Integration User",
    }
    assert _pick(store.all("salesforce", "Account")[1], "Id", "Name", "CreatedDate") == {
        "Id": "001Dn0000000002IAA",
        "Name": "Westbrook Analytics Inc",
        "CreatedDate": "2025-01-09T07:31:27.291+0000",
    }
    opp = store.all("salesforce", "Opportunity")[0]
    assert _pick(opp, "Id", "Name", "StageName", "Amount", "CloseDate", "Probability") == {
        "Id": "006Dn0000000001IAA",
        "Name": "Westbrook Analytics - Implementation Services",
        "StageName": "Closed Won",
        "Amount": 74000.0,
        "CloseDate": "2025-09-30",
        "Probability": 100,
    }
    project = store.all("salesforce", "pse__Proj__c")[0]
    assert _pick(project, "Id", "Name", "pse__Project_ID__c", "pse__Bookings__c") == {
        "Id": "a1HDn0000000001MAA",
        "Name": "Initech Aerospace - Managed Services",
        "pse__Project_ID__c": "PRJ-00001",
        "pse__Bookings__c": 163400.0,
    }
    timecard = store.all("salesforce", "pse__Timecard_Header__c")[0]
    assert _pick(timecard, "Id", "Name", "pse__Total_Hours__c", "pse__Status__c") == {
        "Id": "a24Dn0000000001IAA",
        "Name": "TC-100001",
        "pse__Total_Hours__c": 32.0,
        "pse__Status__c": "Approved",
    }


def test_kantata_netsuite_and_business_central_records(seeded):
    store, _ = seeded
    workspace = store.all("kantata", "workspaces")[0]
    # The first won deal by close date becomes both the first Certinia project and the first workspace.
    assert _pick(workspace, "id", "title", "price_in_cents") == {
        "id": "5000001",
        "title": "Initech Aerospace - Managed Services",
        "price_in_cents": 16340000,
    }
    entry = store.all("kantata", "time_entries")[0]
    assert _pick(entry, "id", "date_performed", "time_in_minutes", "rate_in_cents") == {
        "id": "9000001",
        "date_performed": "2024-10-09",
        "time_in_minutes": 360,
        "rate_in_cents": 23000,
    }
    customer = store.all("netsuite", "customer")[0]
    assert _pick(customer, "id", "entityId", "companyName", "externalId", "balance") == {
        "id": "1001",
        "entityId": "CUST10001",
        "companyName": "Westbrook Analytics Inc",
        "externalId": None,
        "balance": 0.0,
    }
    invoice = store.all("netsuite", "invoice")[0]
    assert _pick(invoice, "id", "tranId", "total", "amountRemaining", "status") == {
        "id": "20001",
        "tranId": "INV10001",
        "total": 12800.0,
        "amountRemaining": 0.0,
        "status": "paidInFull",
    }
    assert [c["name"] for c in store.all("dynamics", "companies")] == [
        "Northwind Advisory Ltd",
        "CRONUS USA, Inc.",
        "Northwind Advisory UK Ltd",
    ]
    assert store.all("dynamics", "companies")[0]["id"] == "8b1a1ac6-fb67-430a-bebb-c8da15c14060"
    assert _pick(store.all("dynamics", "customers")[0], "id", "number", "displayName") == {
        "id": "4b162fb2-d74a-431d-9b88-a5468984d334",
        "number": "C10001",
        "displayName": "Juniper Aerospace Limited",
    }
    bc_invoice = store.all("dynamics", "salesInvoices")[0]
    assert _pick(bc_invoice, "number", "totalAmountIncludingTax", "status") == {
        "number": "S-INV103001",
        "totalAmountIncludingTax": 51840.0,
        "status": "Paid",
    }


def test_id_counters_continue_after_the_seed(seeded):
    store, _ = seeded
    assert store.next_value("salesforce:001") == 152
    assert store.next_value("kantata:time_entries") == 9003841
    assert store.next_value("netsuite:transaction") == 20856
    assert store.next_value("dynamics:customers") == 10111
    assert store.next_value("sf-autonumber:pse__Timecard_Header__c") == 101940
