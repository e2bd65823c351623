"""NetSuite record types served by the sandbox (fields, references, sublists, defaults), the static lists
they point at, id spaces, and the amounts NetSuite computes on an invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Static lists the records point at (a real account has these as records too).
LISTS: dict[str, dict[str, str]] = {
    "subsidiary": {"1": "Northwind Advisory Inc.", "2": "Northwind Advisory Ltd (UK)"},
    "currency": {"1": "USD", "2": "GBP", "4": "EUR"},
    "term": {"1": "Net 15", "2": "Net 30", "3": "Net 60"},
    "customerstatus": {"13": "CUSTOMER-Closed Won", "15": "CUSTOMER-Renewal"},
    "jobstatus": {"1": "Closed", "2": "In Progress", "3": "Not Awarded", "4": "Pending"},
    "item": {
        "10": "Professional Services - T&M",
        "11": "Fixed Fee Milestone",
        "12": "Advisory Retainer",
        "13": "Reimbursable Expenses",
        "14": "Implementation Services",
    },
}
INVOICE_STATUS = {"open": "Open", "paidInFull": "Paid In Full"}


@dataclass
class RecordType:
    fields: dict[str, str]  # name -> string number bool date ref:<type> sublist:<name>
    required: tuple[str, ...]
    readonly: frozenset[str]
    name_field: str
    id_space: str  # customer and job share entity ids; transactions share theirs
    sublists: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


_ENTITY_RO = frozenset({"id", "dateCreated", "lastModifiedDate", "balance"})
_TXN_RO = frozenset(
    {"id", "createdDate", "lastModifiedDate", "status", "total", "subtotal", "amountRemaining", "amountPaid"}
)

TYPES_DEF: dict[str, RecordType] = {
    "customer": RecordType(
        {
            "entityId": "string",
            "companyName": "string",
            "isPerson": "bool",
            "firstName": "string",
            "lastName": "string",
            "email": "string",
            "phone": "string",
            "url": "string",
            "subsidiary": "ref:subsidiary",
            "currency": "ref:currency",
            "terms": "ref:term",
            "entityStatus": "ref:customerstatus",
            "parent": "ref:customer",
            "externalId": "string",
            "comments": "string",
            "isInactive": "bool",
            "defaultAddress": "string",
            "balance": "number",
            "dateCreated": "datetime",
            "lastModifiedDate": "datetime",
        },
        ("companyName",),
        _ENTITY_RO,
        "companyName",
        "entity",
        defaults={
            "isPerson": False,
            "isInactive": False,
            "subsidiary": "1",
            "currency": "1",
            "terms": "2",
            "entityStatus": "13",
            "balance": 0.0,
        },
    ),
    "job": RecordType(
        {
            "entityId": "string",
            "companyName": "string",
            "parent": "ref:customer",
            "startDate": "date",
            "projectedEndDate": "date",
            "entityStatus": "ref:jobstatus",
            "externalId": "string",
            "comments": "string",
            "isInactive": "bool",
            "subsidiary": "ref:subsidiary",
            "dateCreated": "datetime",
            "lastModifiedDate": "datetime",
        },
        ("companyName", "parent"),
        _ENTITY_RO,
        "companyName",
        "entity",
        defaults={"isInactive": False, "entityStatus": "2", "subsidiary": "1"},
    ),
    "invoice": RecordType(
        {
            "tranId": "string",
            "tranDate": "date",
            "dueDate": "date",
            "entity": "ref:customer",
            "job": "ref:job",
            "memo": "string",
            "otherRefNum": "string",
            "currency": "ref:currency",
            "subsidiary": "ref:subsidiary",
            "terms": "ref:term",
            "externalId": "string",
            "status": "status",
            "subtotal": "number",
            "total": "number",
            "amountPaid": "number",
            "amountRemaining": "number",
            "createdDate": "datetime",
            "lastModifiedDate": "datetime",
            "item": "sublist:item",
        },
        ("entity", "item"),
        _TXN_RO,
        "tranId",
        "transaction",
        sublists={
            "item": {
                "item": "ref:item",
                "description": "string",
                "quantity": "number",
                "rate": "number",
                "amount": "number",
            }
        },
        defaults={"currency": "1", "subsidiary": "1", "terms": "2"},
    ),
    "customerpayment": RecordType(
        {
            "tranId": "string",
            "tranDate": "date",
            "customer": "ref:customer",
            "payment": "number",
            "currency": "ref:currency",
            "subsidiary": "ref:subsidiary",
            "memo": "string",
            "externalId": "string",
            "status": "status",
            "createdDate": "datetime",
            "lastModifiedDate": "datetime",
            "apply": "sublist:apply",
        },
        ("customer", "payment"),
        _TXN_RO,
        "tranId",
        "transaction",
        sublists={"apply": {"doc": "ref:invoice", "amount": "number", "apply": "bool"}},
        defaults={"currency": "1", "subsidiary": "1"},
    ),
}
ID_START = {"entity": 1001, "transaction": 20001}
TRAN_PREFIX = {"invoice": "INV", "customerpayment": "PYMT"}


def recompute_invoice(record: dict[str, Any]) -> None:
    """Line amounts, totals and status the way NetSuite derives them (also used by the seeder)."""
    total = 0.0
    for line in record.get("item") or []:
        if line.get("amount") is None:
            line["amount"] = round(float(line.get("quantity") or 1) * float(line.get("rate") or 0), 2)
        total += float(line["amount"])
    record["subtotal"] = record["total"] = round(total, 2)
    paid = round(float(record.get("amountPaid") or 0), 2)
    record["amountPaid"] = paid
    record["amountRemaining"] = round(max(0.0, total - paid), 2)
    record["status"] = "paidInFull" if total > 0 and record["amountRemaining"] <= 0 else "open"
