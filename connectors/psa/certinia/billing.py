"""Invoice work the way Certinia bills: a billing event with an item per billed record, released, then
invoiced (PSA data dictionary, pse__Billing_Event__c: "Billings events, once released, often
correspond with invoices in your financials system ... Invoicing always occurs at the billing event
level"; pse__Billing_Event_Item__c: "Every billing event item must have a lookup relationship to either a
budget, timecard split, expense, milestone, or miscellaneous adjustment").

Two actions share the steps: ``invoice_work`` bills one record on an event of its own (a timecard through
all its splits), ``invoice_billing_event`` bills one invoice: one event for the timecard splits, expenses,
milestones and miscellaneous adjustments (write-ups and write-downs: an item of category Miscellaneous
Adjustment at the adjustment's amount, negative for a write-down) the invoice carries. An adjustment has no
Invoiced box: its Billing Event Invoiced formula says whether its event is invoiced. A timecard is billed
through its splits (pse__Timecard__c), which Certinia makes from it; a week across a month end has two
splits, which can go on two invoices. Each step is keyed by an external id (``BE-<record id>`` or
``BE-<invoice key>``, ``BEI-<billed record id>``), so a replay finds what its first attempt made: one event,
one item per record, never two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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

_IDS = {"type": "array", "items": {"type": "string", "minLength": 15, "maxLength": 18}, "uniqueItems": True}
INVOICE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["project_id", "key"],
    "additionalProperties": False,
    "properties": {
        "project_id": {"type": "string", "title": "Project id", "minLength": 15, "maxLength": 18},
        "key": {
            "type": "string",
            "title": "Invoice key",
            "description": "Names the invoice (e.g. CB-BILL-PR0001-2026-03); its billing event is BE-<key>",
            "minLength": 1,
            "maxLength": 80,
        },
        "split_ids": {**_IDS, "title": "Timecard split ids"},
        "expense_ids": {**_IDS, "title": "Expense ids"},
        "milestone_ids": {**_IDS, "title": "Milestone ids"},
        "adjustment_ids": {**_IDS, "title": "Miscellaneous adjustment ids (write-ups and write-downs)"},
        "invoice_number": INPUT["properties"]["invoice_number"],
        "invoice_date": INPUT["properties"]["invoice_date"],
        "date": INPUT["properties"]["date"],
    },
}

_SPLIT_FIELDS = (
    "Id, pse__Project__c, pse__Timecard_Header__c, pse__Total_Hours__c, pse__Bill_Rate__c, "
    "pse__Total_Billable_Amount__c, pse__Start_Date__c, pse__Billed__c, pse__Invoiced__c"
)
# invoice_billing_event's inputs: field -> (object, the fields read, the item category).
_SELECTED = {
    "split_ids": ("pse__Timecard__c", _SPLIT_FIELDS, "timecard"),
    "expense_ids": (
        "pse__Expense__c",
        "Id, pse__Project__c, pse__Amount__c, pse__Billed__c, pse__Invoiced__c",
        "expense",
    ),
    "milestone_ids": (
        "pse__Milestone__c",
        "Id, pse__Project__c, pse__Milestone_Amount__c, pse__Billed__c, pse__Invoiced__c",
        "milestone",
    ),
    "adjustment_ids": (
        "pse__Miscellaneous_Adjustment__c",
        "Id, pse__Project__c, pse__Amount__c, pse__Effective_Date__c, pse__Description__c, pse__Billed__c, "
        "pse__Billing_Event_Invoiced__c",
        "adjustment",
    ),
}
# The item category and lookup of a record billed at its amount (one unit).
_RECORD_ITEMS = {
    "milestone": ("Milestone", "pse__Milestone__c", "pse__Milestone_Amount__c"),
    "expense": ("Expense", "pse__Expense__c", "pse__Amount__c"),
    "adjustment": ("Miscellaneous Adjustment", "pse__Miscellaneous_Adjustment__c", "pse__Amount__c"),
}
_SF_ID = re.compile(r"[A-Za-z0-9]{15}|[A-Za-z0-9]{18}")
# Ids per query: a SOQL query goes in the URL, which Salesforce caps at 16,384 bytes.
_IDS_PER_QUERY = 300


def _splits(ctx: ActionContext, timecard_id: str) -> list[dict[str, Any]]:
    soql = (
        f"SELECT {_SPLIT_FIELDS} FROM pse__Timecard__c "  # noqa: S608 (an id we read back)
        f"WHERE pse__Timecard_Header__c = '{timecard_id}' ORDER BY pse__Start_Date__c"
    )
    return [strip_attributes(r) for r in query_records(ctx, soql)]


def _split_item(split: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": f"BEI-{split['Id']}",
        "pse__Category__c": "Timecard",
        "pse__Timecard_Split__c": split["Id"],
        "pse__Object_Id__c": split["Id"],
        "pse__Quantity__c": split.get("pse__Total_Hours__c"),
        "pse__Unit_Price__c": split.get("pse__Bill_Rate__c"),
        "pse__Amount__c": split.get("pse__Total_Billable_Amount__c"),
        "pse__Date__c": split.get("pse__Start_Date__c"),
    }


def _record_item(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The item of a milestone, an expense or a miscellaneous adjustment: one unit of its amount (an
    adjustment's carries its date and description)."""
    category, lookup, field = _RECORD_ITEMS[kind]
    amount = record.get(field)
    item = {
        "key": f"BEI-{record['Id']}",
        "pse__Category__c": category,
        lookup: record["Id"],
        "pse__Object_Id__c": record["Id"],
        "pse__Quantity__c": 1,
        "pse__Unit_Price__c": amount,
        "pse__Amount__c": amount,
    }
    if kind == "adjustment":
        item["pse__Date__c"] = record.get("pse__Effective_Date__c")
        item["pse__Description__c"] = record.get("pse__Description__c")
    return item


def _invoiced(record: Mapping[str, Any]) -> bool:
    """On an invoiced billing event: the Invoiced box, or an adjustment's Billing Event Invoiced formula."""
    return bool(record.get("pse__Invoiced__c")) or record.get("pse__Billing_Event_Invoiced__c") == "Yes"


def _items(kind: str, record: Mapping[str, Any], ctx: ActionContext) -> list[dict[str, Any]]:
    """The billing event items for one record: (external id, body without the event)."""
    if kind == "timecard":
        return [_split_item(s) for s in _splits(ctx, record["Id"]) if not s.get("pse__Invoiced__c")]
    return [_record_item(kind, record)]


def _bill(
    ctx: ActionContext,
    field: str,
    event: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    project_id: Any,
    params: Mapping[str, Any],
) -> None:
    """Put the items on the event, release it, invoice it; each step skipped when a first attempt did it."""
    if not event.get("pse__Is_Released__c"):  # items go on an event before it is released
        for item in items:
            body = {k: v for k, v in item.items() if k != "key"}
            body |= {"pse__Billing_Event__c": event["Id"], "pse__Project__c": project_id}
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


def invoice_work(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(params["kind"])
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(sorted(KINDS))}.")
    sobject = KINDS[kind][0]
    record = get_record(ctx, sobject, str(params["record_id"]))
    if record.get("pse__Invoiced__c"):
        return {"billing_event_id": None, "items": 0, "invoiced": True, "already_invoiced": True}
    field = external_id_field(ctx)
    event_body = {"pse__Project__c": record.get("pse__Project__c")}
    if params.get("date"):
        event_body["pse__Date__c"] = params["date"]
    event = get_or_upsert_event(ctx, field, f"BE-{record['Id']}", event_body)
    items = _items(kind, record, ctx)
    _bill(ctx, field, event, items, record.get("pse__Project__c"), params)
    return {"billing_event_id": event["Id"], "items": len(items), "invoiced": True, "already_invoiced": False}


def _ids(params: Mapping[str, Any], name: str) -> list[str]:
    ids = [str(v).strip() for v in params.get(name) or []]
    bad = [v for v in ids if not _SF_ID.fullmatch(v)]
    if bad:
        raise InvalidInput(
            f"{name}: {', '.join(repr(v) for v in bad[:3])} is not a 15- or 18-character Salesforce id.",
            hint="Map the Id field of the records to bill.",
        )
    return ids


def _same(a: Any, b: Any) -> bool:
    """One record: an 18-character id is its 15-character id plus a case-safe suffix."""
    return bool(a) and bool(b) and str(a)[:15] == str(b)[:15]


def _read(ctx: ActionContext, name: str, ids: Sequence[str], project_id: str) -> list[dict[str, Any]]:
    """The selected records of one kind (one query per kind); an id that is not there, or that belongs to
    another project, is the caller's mistake."""
    sobject, fields, _kind = _SELECTED[name]
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        listed = ", ".join(f"'{i}'" for i in ids[start : start + _IDS_PER_QUERY])  # validated ids
        soql = f"SELECT {fields} FROM {sobject} WHERE Id IN ({listed})"  # noqa: S608
        found += [strip_attributes(r) for r in query_records(ctx, soql)]
    missing = [i for i in ids if not any(_same(i, r.get("Id")) for r in found)]
    if missing:
        raise InvalidInput(f"{name}: no {sobject} with id {', '.join(missing[:3])}.")
    elsewhere = [
        r["Id"] for r in found if r.get("pse__Project__c") and not _same(r["pse__Project__c"], project_id)
    ]
    if elsewhere:
        raise InvalidInput(f"{name}: {', '.join(elsewhere[:3])} belong to another project than project_id.")
    return found


def _event_items(ctx: ActionContext, event_id: str) -> int:
    soql = f"SELECT Id FROM pse__Billing_Event_Item__c WHERE pse__Billing_Event__c = '{event_id}'"  # noqa: S608
    return sum(1 for _ in query_records(ctx, soql))


def invoice_billing_event(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Bill one invoice: one billing event ``BE-<key>`` with an item per selected split, expense, milestone
    and miscellaneous adjustment not yet invoiced, released, then invoiced with the invoice number and
    date. A replay finds the event: it answers from it once invoiced, else finishes what the first attempt
    left."""
    project_id = str(params.get("project_id") or "").strip()
    if not _SF_ID.fullmatch(project_id):
        raise InvalidInput("project_id is not a 15- or 18-character Salesforce id.")
    key = str(params.get("key") or "").strip()
    if not key or len(key) > 80:
        raise InvalidInput("key must be 1 to 80 characters.")
    selected = {name: _ids(params, name) for name in _SELECTED}
    if not any(selected.values()):
        raise InvalidInput("Nothing to bill: give split_ids, expense_ids, milestone_ids or adjustment_ids.")
    field = external_id_field(ctx)
    event_key = f"BE-{key}"
    event = find_event(ctx, field, event_key)
    if event is not None and event.get("pse__Invoiced__c"):
        count = _event_items(ctx, event["Id"])
        return {"billing_event_id": event["Id"], "items": count, "invoiced": True, "already_invoiced": True}
    items: list[dict[str, Any]] = []
    for name, ids in selected.items():
        if not ids:
            continue
        kind = _SELECTED[name][2]
        for record in _read(ctx, name, ids, project_id):
            if _invoiced(record):  # on an invoice already
                continue
            if record.get("pse__Billed__c") and not (event or {}).get("pse__Is_Released__c"):
                continue  # on another released event, to be invoiced there
            items.append(_split_item(record) if kind == "timecard" else _record_item(kind, record))
    if event is None:
        if not items:  # everything selected was invoiced elsewhere: no empty event
            return {"billing_event_id": None, "items": 0, "invoiced": True, "already_invoiced": True}
        body = {"pse__Project__c": project_id}
        if params.get("date") or params.get("invoice_date"):
            body["pse__Date__c"] = params.get("date") or params.get("invoice_date")
        event = get_or_upsert_event(ctx, field, event_key, body)
    _bill(ctx, field, event, items, project_id, params)
    count = len(items) if not event.get("pse__Is_Released__c") else _event_items(ctx, event["Id"])
    return {"billing_event_id": event["Id"], "items": count, "invoiced": True, "already_invoiced": False}


def _quoted(text: str) -> str:
    """A SOQL string literal's content: the invoice key is the caller's text."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def find_event(ctx: ActionContext, field: str, key: str) -> dict[str, Any] | None:
    """The billing event with this external id, or None."""
    soql = (
        f"SELECT Id, pse__Is_Released__c, pse__Invoiced__c FROM pse__Billing_Event__c "  # noqa: S608 (our own key)
        f"WHERE {field} = '{_quoted(key)}'"
    )
    found = [strip_attributes(r) for r in query_records(ctx, soql, max_records=2)]
    return found[0] if found else None


def get_or_upsert_event(ctx: ActionContext, field: str, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The record's billing event: made on the first attempt, found (and left as it is) on a replay."""
    found = find_event(ctx, field, key)
    if found is not None:
        return found
    made = upsert_record(ctx, "pse__Billing_Event__c", field, key, dict(body))
    return {"Id": made["id"], "pse__Is_Released__c": False, "pse__Invoiced__c": False}
