"""Invoice a piece of work the way Certinia bills: a billing event with an item per billed record, released,
then invoiced (PSA data dictionary, pse__Billing_Event__c: "Billings events, once released, often
correspond with invoices in your financials system ... Invoicing always occurs at the billing event
level"; pse__Billing_Event_Item__c: "Every billing event item must have a lookup relationship to either a
budget, timecard split, expense, milestone, or miscellaneous adjustment").

A timecard is billed through its splits (pse__Timecard__c), which Certinia makes from it. Each step is
keyed by an external id derived from the billed record (``BE-<record id>``, ``BEI-<split id>``), so a
replay of the step finds what its first attempt made: one event, one item per record, never two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ActionContext
from connectors.crm.salesforce.client import query_records, strip_attributes
from connectors.crm.salesforce.records import get_record, update_record, upsert_record
from connectors.crm.salesforce.typed import external_id_field
from connectors.errors import InvalidInput

KINDS = {
    "timecard": ("pse__Timecard_Header__c", "Timecard"),
    "milestone": ("pse__Milestone__c", "Milestone"),
    "expense": ("pse__Expense__c", "Expense"),
}

INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "record_id"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "title": "What is billed", "enum": sorted(KINDS)},
        "record_id": {"type": "string", "title": "Timecard, milestone or expense id", "minLength": 15},
        "invoice_number": {"type": "string", "title": "Invoice number (in the financial system)"},
        "invoice_date": {"type": "string", "format": "date", "title": "Invoice date"},
        "date": {"type": "string", "format": "date", "title": "Billing event date"},
    },
}
OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "billing_event_id": {"type": ["string", "null"]},
        "items": {"type": "integer"},
        "invoiced": {"type": "boolean"},
        "already_invoiced": {"type": "boolean"},
    },
}


def _splits(ctx: ActionContext, timecard_id: str) -> list[dict[str, Any]]:
    soql = (
        "SELECT Id, pse__Total_Hours__c, pse__Bill_Rate__c, pse__Total_Billable_Amount__c, "  # noqa: S608 (an id we read back)
        f"pse__Start_Date__c, pse__Billed__c, pse__Invoiced__c FROM pse__Timecard__c "
        f"WHERE pse__Timecard_Header__c = '{timecard_id}' ORDER BY pse__Start_Date__c"
    )
    return [strip_attributes(r) for r in query_records(ctx, soql)]


def _items(kind: str, record: Mapping[str, Any], ctx: ActionContext) -> list[dict[str, Any]]:
    """The billing event items for one record: (external id, body without the event)."""
    if kind == "timecard":
        return [
            {
                "key": f"BEI-{split['Id']}",
                "pse__Category__c": "Timecard",
                "pse__Timecard_Split__c": split["Id"],
                "pse__Object_Id__c": split["Id"],
                "pse__Quantity__c": split.get("pse__Total_Hours__c"),
                "pse__Unit_Price__c": split.get("pse__Bill_Rate__c"),
                "pse__Amount__c": split.get("pse__Total_Billable_Amount__c"),
                "pse__Date__c": split.get("pse__Start_Date__c"),
            }
            for split in _splits(ctx, record["Id"])
            if not split.get("pse__Invoiced__c")
        ]
    if kind == "milestone":
        amount = record.get("pse__Milestone_Amount__c")
        lookup = "pse__Milestone__c"
    else:
        amount = record.get("pse__Amount__c")
        lookup = "pse__Expense__c"
    return [
        {
            "key": f"BEI-{record['Id']}",
            "pse__Category__c": KINDS[kind][1],
            lookup: record["Id"],
            "pse__Object_Id__c": record["Id"],
            "pse__Quantity__c": 1,
            "pse__Unit_Price__c": amount,
            "pse__Amount__c": amount,
        }
    ]


def invoice_work(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(params["kind"])
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(sorted(KINDS))}.")
    sobject = KINDS[kind][0]
    record = get_record(ctx, sobject, str(params["record_id"]))
    if record.get("pse__Invoiced__c"):
        return {"billing_event_id": None, "items": 0, "invoiced": True, "already_invoiced": True}
    field = external_id_field(ctx)
    event_key = f"BE-{record['Id']}"
    event_body = {"pse__Project__c": record.get("pse__Project__c")}
    if params.get("date"):
        event_body["pse__Date__c"] = params["date"]
    event = get_or_upsert_event(ctx, field, event_key, event_body)
    items = _items(kind, record, ctx)
    if not event.get("pse__Is_Released__c"):  # items go on an event before it is released
        for item in items:
            body = {k: v for k, v in item.items() if k != "key"}
            body |= {"pse__Billing_Event__c": event["Id"], "pse__Project__c": record.get("pse__Project__c")}
            upsert_record(ctx, "pse__Billing_Event_Item__c", field, item["key"], body)
            ctx.heartbeat()
        update_record(ctx, "pse__Billing_Event__c", event["Id"], {"pse__Is_Released__c": True})
    invoice: dict[str, Any] = {"pse__Invoiced__c": True}
    if params.get("invoice_number"):
        invoice["pse__Invoice_Number__c"] = params["invoice_number"]
    if params.get("invoice_date"):
        invoice["pse__Invoice_Date__c"] = params["invoice_date"]
    if not event.get("pse__Invoiced__c"):
        update_record(ctx, "pse__Billing_Event__c", event["Id"], invoice)
    return {"billing_event_id": event["Id"], "items": len(items), "invoiced": True, "already_invoiced": False}


def get_or_upsert_event(ctx: ActionContext, field: str, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The record's billing event: made on the first attempt, found (and left as it is) on a replay."""
    soql = (
        f"SELECT Id, pse__Is_Released__c, pse__Invoiced__c FROM pse__Billing_Event__c "  # noqa: S608 (our own key)
        f"WHERE {field} = '{key}'"
    )
    found = [strip_attributes(r) for r in query_records(ctx, soql, max_records=2)]
    if found:
        return found[0]
    made = upsert_record(ctx, "pse__Billing_Event__c", field, key, dict(body))
    return {"Id": made["id"], "pse__Is_Released__c": False, "pse__Invoiced__c": False}
