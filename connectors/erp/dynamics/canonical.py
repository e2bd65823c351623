"""Business Central entities <-> canonical customer, project, invoice (+ lines), payment, as field
tables. Invoice lines are created apart from their invoice (see :func:`invoice_lines_from`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical.convert import always, num, or_none, text
from connectors.canonical.fields import Composed, Computed, Field, FieldTable, Mapper

SYSTEM = "dynamics"

BASE = (
    Computed("source_system", always(SYSTEM)),
    Field("source_id", "id", read=text, write=None),
    Field("updated_at", "lastModifiedDateTime", write=None),
)


def _street(r: Mapping[str, Any]) -> str | None:
    return " ".join(p for p in (r.get("addressLine1"), r.get("addressLine2")) if p) or None


def _active(r: Mapping[str, Any]) -> bool | None:
    """``blocked`` is " " (Business Central's ``_x0020_``) for an active customer, else the block."""
    if "blocked" not in r:
        return None
    return str(r.get("blocked") or "").strip() in ("", "_x0020_")


CUSTOMER = FieldTable(
    *BASE,
    Field("name", "displayName"),
    Field("number", "number"),
    Field("email", "email", read=or_none),
    Field("phone", "phoneNumber", read=or_none),
    Field("website", "website", read=or_none),
    Computed("address.street", _street),
    Field("address.street", "addressLine1", read=None),
    Field("address.city", "city", read=or_none),
    Field("address.state", "state", read=or_none),
    Field("address.postal_code", "postalCode", read=or_none),
    Field("address.country", "country", read=or_none),
    Field("currency", "currencyCode", read=or_none),
    Computed("active", _active),
)

PROJECT = FieldTable(
    *BASE,
    Field("name", "displayName"),
    Field("number", "number"),
)

INVOICE_LINE = FieldTable(
    Field("source_id", "id", read=text, write=None),
    Computed("item_id", lambda line: text(line.get("itemId")) or line.get("lineObjectNumber")),
    Field("item_id", "itemId", read=None),
    Composed("lineType", lambda line: "Item" if line.get("item_id") else "Comment"),
    Field("description", "description"),
    Field("quantity", "quantity", read=num),
    Field("unit_price", "unitPrice", read=num),
    Computed("amount", lambda line: num(line.get("amountExcludingTax", line.get("netAmount")))),
)

# Header fields only: lines are created with documentId = the new invoice's id.
INVOICE = FieldTable(
    *BASE,
    Field("number", "number", write=None),
    Field("external_id", "externalDocumentNumber", read=or_none, write=None),
    Composed("externalDocumentNumber", lambda c: c.get("external_id") or c.get("number")),
    Field("customer_id", "customerId"),
    Field("customer_number", "customerNumber"),
    Field("invoice_date", "invoiceDate"),
    Field("due_date", "dueDate"),
    Field("currency", "currencyCode", read=or_none),
    Field("status", "status", write=None),
    Field("subtotal", "totalAmountExcludingTax", read=num, write=None),
    Field("tax", "totalTaxAmount", read=num, write=None),
    Field("total", "totalAmountIncludingTax", read=num, write=None),
    Field("amount_due", "remainingAmount", read=num, write=None),
    Field(
        "lines",
        "salesInvoiceLines",
        read=lambda lines: [INVOICE_LINE.to_canonical(line) for line in lines or []],
        write=None,
    ),
)


def invoice_lines_from(c: Mapping[str, Any], document_id: str) -> list[dict[str, Any]]:
    """The canonical invoice's lines -> salesInvoiceLines bodies for the invoice ``document_id``."""
    return [{"documentId": document_id, **INVOICE_LINE.from_canonical(line)} for line in c.get("lines") or []]


APPLIED = FieldTable(
    Field("invoice_id", "appliesToInvoiceId", write=None),
    Field("invoice_number", "appliesToInvoiceNumber", write=None),
    Field("amount", "amount", read=num, write=None),
)


def _applied(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A payment applies to at most one invoice here."""
    if not (r.get("appliesToInvoiceId") or r.get("appliesToInvoiceNumber")):
        return []
    return [APPLIED.to_canonical(r)]


PAYMENT = FieldTable(
    *BASE,
    Field("number", "documentNumber"),
    Field("customer_id", "customerId"),
    Field("customer_number", "customerNumber"),
    Field("date", "postingDate"),
    Field("amount", "amount", read=lambda v: num(v) or 0.0),
    Field("memo", "description", read=or_none),
    Computed("applied_to", _applied),
    Composed("appliesToInvoiceId", lambda c: (c.get("applied_to") or [{}])[0].get("invoice_id")),
)

MAPPINGS = (
    Mapper(SYSTEM, "customer", "customers", CUSTOMER),
    Mapper(SYSTEM, "project", "projects", PROJECT),
    Mapper(SYSTEM, "invoice", "salesInvoices", INVOICE),
    Mapper(SYSTEM, "payment", "customerPayments", PAYMENT),
)
