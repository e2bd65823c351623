"""Business Central entities <-> canonical customer, project, invoice (+ lines), payment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import compact, num, text

SYSTEM = "dynamics"


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_system": SYSTEM,
        "source_id": text(r.get("id")),
        "updated_at": r.get("lastModifiedDateTime"),
    }


def customer_to(r: Mapping[str, Any]) -> dict[str, Any]:
    address = compact(
        {
            "street": " ".join(p for p in (r.get("addressLine1"), r.get("addressLine2")) if p) or None,
            "city": r.get("city") or None,
            "state": r.get("state") or None,
            "postal_code": r.get("postalCode") or None,
            "country": r.get("country") or None,
        }
    )
    blocked = str(r.get("blocked") or "").strip()
    return compact(
        {
            **_base(r),
            "name": r.get("displayName"),
            "number": r.get("number"),
            "email": r.get("email") or None,
            "phone": r.get("phoneNumber") or None,
            "website": r.get("website") or None,
            "address": address or None,
            "currency": r.get("currencyCode") or None,
            "active": None if "blocked" not in r else blocked in ("", "_x0020_"),
        }
    )


def customer_from(c: Mapping[str, Any]) -> dict[str, Any]:
    address = c.get("address") or {}
    return compact(
        {
            "displayName": c.get("name"),
            "number": c.get("number"),
            "email": c.get("email"),
            "phoneNumber": c.get("phone"),
            "website": c.get("website"),
            "addressLine1": address.get("street"),
            "city": address.get("city"),
            "state": address.get("state"),
            "postalCode": address.get("postal_code"),
            "country": address.get("country"),
            "currencyCode": c.get("currency"),
        }
    )


def project_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact({**_base(r), "name": r.get("displayName"), "number": r.get("number")})


def project_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact({"displayName": c.get("name"), "number": c.get("number")})


def invoice_to(r: Mapping[str, Any]) -> dict[str, Any]:
    lines = [
        compact(
            {
                "source_id": text(line.get("id")),
                "item_id": text(line.get("itemId")) or line.get("lineObjectNumber"),
                "description": line.get("description"),
                "quantity": num(line.get("quantity")),
                "unit_price": num(line.get("unitPrice")),
                "amount": num(line.get("amountExcludingTax", line.get("netAmount"))),
            }
        )
        for line in r.get("salesInvoiceLines") or []
    ]
    return compact(
        {
            **_base(r),
            "number": r.get("number"),
            "external_id": r.get("externalDocumentNumber") or None,
            "customer_id": r.get("customerId"),
            "customer_number": r.get("customerNumber"),
            "invoice_date": r.get("invoiceDate"),
            "due_date": r.get("dueDate"),
            "currency": r.get("currencyCode") or None,
            "status": r.get("status"),
            "subtotal": num(r.get("totalAmountExcludingTax")),
            "tax": num(r.get("totalTaxAmount")),
            "total": num(r.get("totalAmountIncludingTax")),
            "amount_due": num(r.get("remainingAmount")),
            "lines": lines,
        }
    )


def invoice_from(c: Mapping[str, Any]) -> dict[str, Any]:
    """Header fields; lines are created with documentId = the new invoice id (see ``invoice_lines_from``)."""
    return compact(
        {
            "externalDocumentNumber": c.get("external_id") or c.get("number"),
            "customerId": c.get("customer_id"),
            "customerNumber": c.get("customer_number"),
            "invoiceDate": c.get("invoice_date"),
            "dueDate": c.get("due_date"),
            "currencyCode": c.get("currency"),
        }
    )


def invoice_lines_from(c: Mapping[str, Any], document_id: str) -> list[dict[str, Any]]:
    return [
        compact(
            {
                "documentId": document_id,
                "lineType": "Item" if line.get("item_id") else "Comment",
                "itemId": line.get("item_id"),
                "description": line.get("description"),
                "quantity": line.get("quantity"),
                "unitPrice": line.get("unit_price"),
            }
        )
        for line in c.get("lines") or []
    ]


def payment_to(r: Mapping[str, Any]) -> dict[str, Any]:
    applied = []
    if r.get("appliedToInvoiceId") or r.get("appliedToInvoiceNumber"):
        applied.append(
            compact(
                {
                    "invoice_id": r.get("appliedToInvoiceId"),
                    "invoice_number": r.get("appliedToInvoiceNumber"),
                    "amount": num(r.get("amount")),
                }
            )
        )
    return compact(
        {
            **_base(r),
            "number": r.get("documentNumber"),
            "customer_id": r.get("customerId"),
            "customer_number": r.get("customerNumber"),
            "date": r.get("postingDate"),
            "amount": num(r.get("amount")) or 0.0,
            "memo": r.get("description") or None,
            "applied_to": applied,
        }
    )


def payment_from(c: Mapping[str, Any]) -> dict[str, Any]:
    applied = (c.get("applied_to") or [{}])[0]
    return compact(
        {
            "customerId": c.get("customer_id"),
            "customerNumber": c.get("customer_number"),
            "postingDate": c.get("date"),
            "documentNumber": c.get("number"),
            "amount": c.get("amount"),
            "appliedToInvoiceId": applied.get("invoice_id"),
            "description": c.get("memo"),
        }
    )


MAPPINGS = {
    "customer": ("customers", customer_to, customer_from),
    "project": ("projects", project_to, project_from),
    "invoice": ("salesInvoices", invoice_to, invoice_from),
    "payment": ("customerPayments", payment_to, payment_from),
}
