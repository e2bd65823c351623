"""NetSuite records <-> canonical customer, project (job), invoice (+ lines), payment.
References are ``{"id": ...}`` objects and sublists ``{"items": [...]}``, as the record API wants them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import compact, date_part, num, ref_id, ref_name, text

SYSTEM = "netsuite"
CURRENCIES = {"1": "USD", "2": "GBP", "4": "EUR"}  # the sandbox's (and a typical OneWorld account's) ids


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_system": SYSTEM,
        "source_id": text(r.get("id")),
        "external_id": text(r.get("externalId")),
        "updated_at": r.get("lastModifiedDate"),
    }


def _currency(value: Any) -> str | None:
    name = ref_name(value)
    if name and len(name) == 3 and name.isupper():
        return name
    return CURRENCIES.get(ref_id(value) or "")


def _currency_ref(code: Any) -> dict[str, str] | None:
    for rid, name in CURRENCIES.items():
        if name == code:
            return {"id": rid}
    return None


def _ref(value: Any) -> dict[str, str] | None:
    return {"id": str(value)} if value not in (None, "") else None


def _items(value: Any) -> list[Mapping[str, Any]]:
    return list(value.get("items") or []) if isinstance(value, Mapping) else list(value or [])


def customer_to(r: Mapping[str, Any]) -> dict[str, Any]:
    name = r.get("companyName") or " ".join(p for p in (r.get("firstName"), r.get("lastName")) if p)
    return compact(
        {
            **_base(r),
            "name": name or r.get("entityId"),
            "number": r.get("entityId"),
            "email": r.get("email"),
            "phone": r.get("phone"),
            "website": r.get("url"),
            "currency": _currency(r.get("currency")),
            "parent_id": ref_id(r.get("parent")),
            "active": None if r.get("isInactive") is None else not r.get("isInactive"),
        }
    )


def customer_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "companyName": c.get("name"),
            "entityId": c.get("number"),
            "email": c.get("email"),
            "phone": c.get("phone"),
            "url": c.get("website"),
            "currency": _currency_ref(c.get("currency")),
            "parent": _ref(c.get("parent_id")),
            "isInactive": None if c.get("active") is None else not c.get("active"),
        }
    )


def job_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "name": r.get("companyName") or r.get("entityId"),
            "number": r.get("entityId"),
            "customer_id": ref_id(r.get("parent")),
            "start_date": r.get("startDate"),
            "end_date": r.get("projectedEndDate"),
            "status": ref_name(r.get("entityStatus")) or ref_id(r.get("entityStatus")),
            "description": r.get("comments"),
            "active": None if r.get("isInactive") is None else not r.get("isInactive"),
        }
    )


def job_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "companyName": c.get("name"),
            "entityId": c.get("number"),
            "parent": _ref(c.get("customer_id")),
            "startDate": c.get("start_date"),
            "projectedEndDate": c.get("end_date"),
            "comments": c.get("description"),
            "isInactive": None if c.get("active") is None else not c.get("active"),
        }
    )


def invoice_to(r: Mapping[str, Any]) -> dict[str, Any]:
    status = r.get("status")
    lines = [
        compact(
            {
                "source_id": text(line.get("line")),
                "item_id": ref_id(line.get("item")),
                "description": line.get("description") or ref_name(line.get("item")),
                "quantity": num(line.get("quantity")),
                "unit_price": num(line.get("rate")),
                "amount": num(line.get("amount")),
            }
        )
        for line in _items(r.get("item"))
    ]
    return compact(
        {
            **_base(r),
            "number": r.get("tranId"),
            "customer_id": ref_id(r.get("entity")),
            "project_id": ref_id(r.get("job")),
            "invoice_date": r.get("tranDate"),
            "due_date": r.get("dueDate"),
            "currency": _currency(r.get("currency")),
            "status": ref_name(status) or ref_id(status) or text(status),
            "subtotal": num(r.get("subtotal")),
            "total": num(r.get("total")),
            "amount_due": num(r.get("amountRemaining")),
            "memo": r.get("memo"),
            "lines": lines,
        }
    )


def invoice_from(c: Mapping[str, Any]) -> dict[str, Any]:
    lines = [
        compact(
            {
                "item": _ref(line.get("item_id")),
                "description": line.get("description"),
                "quantity": line.get("quantity"),
                "rate": line.get("unit_price"),
                "amount": line.get("amount"),
            }
        )
        for line in c.get("lines") or []
    ]
    return compact(
        {
            "tranId": c.get("number"),
            "entity": _ref(c.get("customer_id")),
            "job": _ref(c.get("project_id")),
            "tranDate": date_part(c.get("invoice_date")),
            "dueDate": date_part(c.get("due_date")),
            "currency": _currency_ref(c.get("currency")),
            "memo": c.get("memo"),
            "item": {"items": lines} if lines else None,
        }
    )


def payment_to(r: Mapping[str, Any]) -> dict[str, Any]:
    applied = [
        compact(
            {
                "invoice_id": ref_id(a.get("doc")),
                "invoice_number": ref_name(a.get("doc")),
                "amount": num(a.get("amount")),
            }
        )
        for a in _items(r.get("apply"))
        if a.get("apply") is not False
    ]
    return compact(
        {
            **_base(r),
            "number": r.get("tranId"),
            "customer_id": ref_id(r.get("customer")),
            "date": r.get("tranDate"),
            "amount": num(r.get("payment")) or 0.0,
            "currency": _currency(r.get("currency")),
            "memo": r.get("memo"),
            "applied_to": applied,
        }
    )


def payment_from(c: Mapping[str, Any]) -> dict[str, Any]:
    applied = [
        {"doc": {"id": str(a["invoice_id"])}, "amount": a.get("amount"), "apply": True}
        for a in c.get("applied_to") or []
        if a.get("invoice_id")
    ]
    return compact(
        {
            "customer": _ref(c.get("customer_id")),
            "tranDate": date_part(c.get("date")),
            "payment": c.get("amount"),
            "currency": _currency_ref(c.get("currency")),
            "memo": c.get("memo"),
            "apply": {"items": applied} if applied else None,
        }
    )


MAPPINGS = {
    "customer": ("customer", customer_to, customer_from),
    "project": ("job", job_to, job_from),
    "invoice": ("invoice", invoice_to, invoice_from),
    "payment": ("customerpayment", payment_to, payment_from),
}
