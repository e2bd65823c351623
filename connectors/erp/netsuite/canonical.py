"""NetSuite records <-> canonical customer, project (job), invoice (+ lines), payment, as field tables.
References are ``{"id": ...}`` objects and sublists ``{"items": [...]}``, as the record API wants them.

Currencies: a currency reference holds an internal id and the currency's *name* ("USA", "British pound"),
so the ISO code is read from the ``symbol`` the connector adds to every currency reference it returns, and
written as the ISO code, which the connector's write actions turn into the account's currency id. No
currency id is assumed here. The canonical schemas have no subsidiary, terms, tax code or dimension
fields yet: a flow sets those NetSuite fields directly (the connector fills a new customer's subsidiary
from the connection and a new project's from its customer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical.convert import always, negate, num, text
from connectors.canonical.fields import Computed, Field, FieldTable, Mapper

SYSTEM = "netsuite"


def ref_id(value: Any) -> str | None:
    """References are ``{"id": "12", "refName": ...}``; plain ids pass through."""
    if isinstance(value, Mapping):
        return text(value.get("id"))
    return text(value)


def ref_name(value: Any) -> str | None:
    return text(value.get("refName")) if isinstance(value, Mapping) else None


def ref(value: Any) -> dict[str, str] | None:
    """An id -> the reference object a write takes."""
    return {"id": str(value)} if value not in (None, "") else None


def date_part(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:10]


def currency_code(value: Any) -> str | None:
    """The ISO code of a currency reference (``symbol``, added by the connector when it reads a record),
    or of an ISO code as written."""
    symbol = text(value.get("symbol")) if isinstance(value, Mapping) else text(value)
    return symbol.upper() if symbol and len(symbol) == 3 and symbol.isalpha() else None


def currency_write(code: Any) -> str | None:
    """Written as the ISO code; the connector's write actions look the account's currency id up."""
    return str(code).strip().upper() if code not in (None, "") else None


def _status(value: Any) -> str | None:
    return ref_name(value) or ref_id(value) or text(value)


def _sublist(value: Any) -> list[Mapping[str, Any]]:
    return list(value.get("items") or []) if isinstance(value, Mapping) else list(value or [])


BASE = (
    Computed("source_system", always(SYSTEM)),
    Field("source_id", "id", read=text, write=None),
    Field("external_id", "externalId", read=text, write=None),
    Field("updated_at", "lastModifiedDate", write=None),
)


def _customer_name(r: Mapping[str, Any]) -> Any:
    name = r.get("companyName") or " ".join(p for p in (r.get("firstName"), r.get("lastName")) if p)
    return name or r.get("entityId")


CUSTOMER = FieldTable(
    *BASE,
    Computed("name", _customer_name),
    Field("name", "companyName", read=None),
    Field("number", "entityId"),
    Field("email", "email"),
    Field("phone", "phone"),
    Field("website", "url"),
    Field("currency", "currency", read=currency_code, write=currency_write),
    Field("parent_id", "parent", read=ref_id, write=ref),
    Field("active", "isInactive", read=negate, write=negate),
)

JOB = FieldTable(
    *BASE,
    Computed("name", lambda r: r.get("companyName") or r.get("entityId")),
    Field("name", "companyName", read=None),
    Field("number", "entityId"),
    Field("customer_id", "parent", read=ref_id, write=ref),
    Field("start_date", "startDate"),
    Field("end_date", "projectedEndDate"),
    Field("status", "entityStatus", read=lambda s: ref_name(s) or ref_id(s), write=None),
    Field("description", "comments"),
    Field("active", "isInactive", read=negate, write=negate),
    Field("currency", "currency", read=currency_code, write=None),
)

INVOICE_LINE = FieldTable(
    Field("source_id", "line", read=text, write=None),
    Field("item_id", "item", read=ref_id, write=ref),
    Computed("description", lambda line: line.get("description") or ref_name(line.get("item"))),
    Field("description", "description", read=None),
    Field("quantity", "quantity", read=num),
    Field("unit_price", "rate", read=num),
    Field("amount", "amount", read=num),
)


def _read_lines(sublist: Any) -> list[dict[str, Any]]:
    return [INVOICE_LINE.to_canonical(line) for line in _sublist(sublist)]


def _write_lines(lines: Any) -> dict[str, Any] | None:
    items = [INVOICE_LINE.from_canonical(line) for line in lines or []]
    return {"items": items} if items else None


INVOICE = FieldTable(
    *BASE,
    Field("number", "tranId"),
    Field("customer_id", "entity", read=ref_id, write=ref),
    Field("project_id", "job", read=ref_id, write=ref),
    Field("invoice_date", "tranDate", write=date_part),
    Field("due_date", "dueDate", write=date_part),
    Field("currency", "currency", read=currency_code, write=currency_write),
    Field("status", "status", read=_status, write=None),
    Field("subtotal", "subtotal", read=num, write=None),
    Field("tax", "taxTotal", read=num, write=None),
    Field("total", "total", read=num, write=None),
    Field("amount_due", "amountRemaining", read=num, write=None),
    Field("memo", "memo"),
    Field("lines", "item", read=_read_lines, write=_write_lines),
)

APPLIED = FieldTable(
    Field("invoice_id", "doc", read=ref_id, write=None),
    Field("invoice_number", "doc", read=ref_name, write=None),
    Field("amount", "amount", read=num, write=None),
)


def _read_applied(sublist: Any) -> list[dict[str, Any]]:
    return [APPLIED.to_canonical(a) for a in _sublist(sublist) if a.get("apply") is not False]


def _write_applied(applied: Any) -> dict[str, Any] | None:
    """Every application is written with ``apply: true`` and its amount as given (None included)."""
    items = [
        {"doc": {"id": str(a["invoice_id"])}, "amount": a.get("amount"), "apply": True}
        for a in applied or []
        if a.get("invoice_id")
    ]
    return {"items": items} if items else None


PAYMENT = FieldTable(
    *BASE,
    Field("number", "tranId", write=None),
    Field("customer_id", "customer", read=ref_id, write=ref),
    Field("date", "tranDate", write=date_part),
    Field("amount", "payment", read=lambda v: num(v) or 0.0),
    Field("currency", "currency", read=currency_code, write=currency_write),
    Field("memo", "memo"),
    Field("applied_to", "apply", read=_read_applied, write=_write_applied),
)

MAPPINGS = (
    Mapper(SYSTEM, "customer", "customer", CUSTOMER),
    Mapper(SYSTEM, "project", "job", JOB),
    Mapper(SYSTEM, "invoice", "invoice", INVOICE),
    Mapper(SYSTEM, "payment", "customerpayment", PAYMENT),
)
