"""The record API's rules over the tenant's store: find by internal or external id, check a body against the
record type (unknown, read-only and mistyped fields, required values, references), fill what NetSuite
sources, shape a record the way GET returns it, and keep the money consistent when payments and credit
memos are applied to invoices.

An invoice's paid amount is derived from every application that names it (payments and credit memos), never
accumulated, so replaying an upsert of the same payment cannot pay an invoice twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ..platform.store import Store
from ..platform.timeutil import iso_z, parse_iso, utcnow
from .schema import (
    ADDRESS,
    ID_START,
    ITEM_TYPES,
    LISTS,
    RECOMPUTE,
    STATUS_NAMES,
    TRAN_PREFIX,
    TYPES_DEF,
    RecordType,
    id_space,
    recompute_invoice,
    settle_address_book,
    target_type,
)

SYSTEM = "netsuite"
RECORD = "/services/rest/record/v1"
APPLYING = ("customerpayment", "creditmemo")  # records whose apply sublist pays invoices down


class NsError(Exception):
    """A refusal in NetSuite's error shape: status, ``o:errorCode``, detail and ``o:errorPath``."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.path = status, code, detail, path


EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def check_external_id(value: str, path: str) -> None:
    """Using External IDs: "An external ID can be any string containing letters, numbers, underscore (_),
    and hyphen (-)"."""
    if not EXTERNAL_ID.match(value):
        raise NsError(
            400,
            "INVALID_CONTENT",
            f"Invalid external ID '{value}': use letters, numbers, underscore (_) and hyphen (-).",
            path,
        )


def not_found() -> NsError:
    return NsError(
        404, "NONEXISTENT_ID", "The record instance does not exist. Provide a valid record instance ID."
    )


def _invalid_value(key: str, path: str, value: Any = None) -> NsError:
    shown = "" if value is None or isinstance(value, dict | list) else f" {value}"
    return NsError(
        400,
        "INVALID_CONTENT",
        f"Error while accessing a resource. You have entered an Invalid Field Value{shown} for the following "
        f"field: {key}",
        path,
    )


class Records:
    """The record API of one tenant: ``Records(store)`` per request."""

    def __init__(self, store: Store, url: Callable[[str, str], str]) -> None:
        self.store = store
        self.url = url  # (record type, id) -> the record's absolute URL under the request's root

    # -- finding ----------------------------------------------------------------------------------------
    def get(self, rtype: str, rid: str) -> dict[str, Any] | None:
        if rtype == "item":
            found = self.item_type(rid)
            return self.store.peek(SYSTEM, found, rid) if found else None
        return self.store.peek(SYSTEM, rtype, rid)

    def item_type(self, rid: str) -> str | None:
        """Which item record type holds this id (every item type shares one id space)."""
        for candidate in (*ITEM_TYPES, "salestaxitem"):
            if self.store.peek(SYSTEM, candidate, rid) is not None:
                return candidate
        return None

    def by_eid(self, rtype: str, ext: str) -> dict[str, Any] | None:
        types = (*ITEM_TYPES, "salestaxitem") if rtype == "item" else (rtype,)
        for candidate in types:
            found = next((r for r in self.store.all(SYSTEM, candidate) if r.get("externalId") == ext), None)
            if found:
                return found
        return None

    def find(self, rtype: str, key: str) -> dict[str, Any]:
        if key.startswith("eid:"):
            found = self.by_eid(rtype, key[4:])
            record = self.store.get(SYSTEM, rtype, found["id"]) if found else None
        else:
            record = self.store.get(SYSTEM, rtype, key)
        if record is None:
            raise not_found()
        return record

    # -- checking a body --------------------------------------------------------------------------------
    def prepare(
        self,
        rtype: str,
        existing: dict[str, Any] | None,
        body: dict[str, Any],
        replace: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """The record to store, or NsError. ``replace`` names the sublists whose lines the body's lines
        replace; the lines of any other sublist in the body are added to the record's own."""
        spec = TYPES_DEF[rtype]
        record = dict(existing) if existing else dict(spec.defaults)
        for key, value in body.items():
            if key == "links":
                continue
            if key.startswith(("custentity", "custbody", "custitem", "custrecord")):
                record[key] = value
                continue
            ftype = spec.fields.get(key)
            if ftype is None and key != "id":
                raise NsError(
                    400, "INVALID_CONTENT", f"Invalid field name '{key}' on record type {rtype}.", key
                )
            if key == "id" or key in spec.readonly:
                if existing is not None and str(existing.get(key)) == str(value):
                    continue  # an unchanged read-only value sent back is no change
                raise NsError(400, "USER_ERROR", f"The field {key} is read-only and cannot be set.", key)
            if key == "externalId" and value not in (None, ""):
                check_external_id(str(value), key)
            if ftype.startswith("sublist:"):
                lines = self._lines(rtype, key, value)
                keep = existing is not None and key not in replace
                record[key] = _merge_lines(key, existing.get(key) or [], lines) if keep else lines
            else:
                record[key] = self._coerce(rtype, key, ftype, value, key)
        self._source(rtype, spec, record)
        if "addressBook" in spec.sublists:
            settle_address_book(record)
        missing = [f for f in spec.required if record.get(f) in (None, "", [])]
        if missing:
            raise NsError(400, "USER_ERROR", f"Please enter value(s) for: {', '.join(missing)}", missing[0])
        now = utcnow()
        if existing is None:
            space = id_space(rtype)
            record["id"] = str(self.store.next_value(f"{SYSTEM}:{space}", ID_START.get(space, 1)))
            record[spec.created_field] = iso_z(now)
            if rtype in TRAN_PREFIX and not record.get("tranId"):
                record["tranId"] = (
                    f"{TRAN_PREFIX[rtype]}{self.store.next_value(f'{SYSTEM}:tranid:{rtype}', 10001)}"
                )
            if spec.id_space == "transaction" and not record.get("tranDate"):
                record["tranDate"] = now.date().isoformat()
            if spec.id_space == "entity" and not record.get("entityId"):
                record["entityId"] = record.get("companyName") or record["id"]
        self._due_date(rtype, record)
        self._exchange_rate(rtype, record)
        self._line_rates(rtype, record)
        record["lastModifiedDate"] = iso_z(now)
        if rtype in RECOMPUTE:
            RECOMPUTE[rtype](record)
        if rtype in APPLYING:
            self._check_applications(rtype, record, existing)
        return record

    def _source(self, rtype: str, spec: RecordType, record: dict[str, Any]) -> None:
        """Fill what NetSuite sources from a referenced record (a transaction's subsidiary, currency and
        terms from its customer; a customer's currency from its subsidiary) when the body left it empty."""
        for target, (via, attr) in spec.sourced.items():
            if record.get(target) not in (None, "") or not record.get(via):
                continue
            source = self.get(target_type(spec.fields[via], rtype), str(record[via]))
            if source and source.get(attr) not in (None, ""):
                record[target] = source[attr]

    def _due_date(self, rtype: str, record: dict[str, Any]) -> None:
        if rtype != "invoice" or record.get("dueDate") or not record.get("terms"):
            return
        term = self.get("term", str(record["terms"])) or {}
        start = parse_iso(str(record.get("tranDate") or ""))
        if start is not None and term.get("daysUntilNetDue") is not None:
            record["dueDate"] = (start.date() + timedelta(days=int(term["daysUntilNetDue"]))).isoformat()

    def _exchange_rate(self, rtype: str, record: dict[str, Any]) -> None:
        """A foreign-currency transaction defaults to the currency's rate against the subsidiary's."""
        if TYPES_DEF[rtype].id_space != "transaction" or "exchangeRate" in record:
            return
        subsidiary = self.get("subsidiary", str(record.get("subsidiary") or "")) or {}
        own = self.get("currency", str(record.get("currency") or "")) or {}
        base = self.get("currency", str(subsidiary.get("currency") or "")) or {}
        rate_own, rate_base = float(own.get("exchangeRate") or 1), float(base.get("exchangeRate") or 1)
        record["exchangeRate"] = round(rate_own / rate_base, 6) if own and base else 1.0

    def _line_rates(self, rtype: str, record: dict[str, Any]) -> None:
        """A line without a rate takes the item's price in the transaction's currency at the line's price
        level (the base price less the level's discount)."""
        for line in record.get("item") or [] if rtype in ("invoice", "creditmemo") else []:
            if line.get("rate") is not None or line.get("amount") is not None or not line.get("item"):
                continue
            item = self.get("item", str(line["item"])) or {}
            base = next(
                (
                    p.get("price")
                    for p in item.get("price") or []
                    if str(p.get("currencyPage")) == str(record.get("currency"))
                    and str(p.get("priceLevel")) == "1"
                ),
                None,
            )
            if base is None:
                continue
            level = self.get("pricelevel", str(line.get("price") or "1")) or {}
            line["rate"] = round(float(base) * (1 + float(level.get("discountPct") or 0) / 100), 2)

    def _coerce(self, rtype: str, key: str, ftype: str, value: Any, path: str) -> Any:
        if value is None:
            return None
        if ftype.startswith("ref:"):
            return self._resolve_ref(rtype, key, target_type(ftype, rtype), value, path)
        if ftype.startswith("multiref:"):
            items = value.get("items") if isinstance(value, dict) else None
            if not isinstance(items, list):
                raise _invalid_value(key, path)
            return [
                self._resolve_ref(rtype, key, ftype.split(":", 1)[1], item, f"{path}.items[{n}]")
                for n, item in enumerate(items)
            ]
        if ftype == "subrecord:address":
            return self._address(rtype, key, value, path)
        if ftype == "quantity":
            if not isinstance(value, dict) or isinstance(value.get("value"), bool):
                raise _invalid_value(key, path)
            return self._coerce(rtype, key, "number", value.get("value"), path)
        bad = _invalid_value(key, path, value)
        if ftype == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if ftype in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise bad
            try:
                number = float(value)
            except ValueError:
                raise bad from None
            if ftype == "integer":
                if number != int(number):
                    raise bad
                return int(number)
            return number
        if ftype == "date":
            if not isinstance(value, str) or parse_iso(value) is None:
                raise bad
            return value[:10]
        if ftype == "datetime":
            parsed = parse_iso(value) if isinstance(value, str) else None
            if parsed is None:
                raise bad
            return iso_z(parsed)
        if isinstance(value, dict | list | bool):
            raise bad
        return str(value)

    def _address(self, rtype: str, key: str, value: Any, path: str) -> dict[str, Any]:
        """An address subrecord is an inner object of its own fields (Working with Subrecords)."""
        if not isinstance(value, dict):
            raise _invalid_value(key, path)
        address: dict[str, Any] = {}
        for name, val in value.items():
            if name == "links":
                continue
            ftype = ADDRESS.get(name)
            if ftype is None:
                detail = f"Invalid field name '{name}' in subrecord {key}."
                raise NsError(400, "INVALID_CONTENT", detail, f"{path}.{name}")
            address[name] = self._coerce(rtype, name, ftype, val, f"{path}.{name}")
        return address

    def _resolve_ref(self, rtype: str, key: str, target: str, value: Any, path: str) -> str:
        """References are objects, ``{"id": "12"}`` or ``{"externalId": "X"}``, as the record pages show."""
        if not isinstance(value, dict) or not (value.get("id") or value.get("externalId")):
            raise NsError(
                400,
                "INVALID_CONTENT",
                f"Invalid value for the resource or sub-resource field '{key}'. Provide a valid value.",
                path,
            )
        if target in LISTS:
            rid = str(value.get("id"))
            if rid not in LISTS[target]:
                raise _invalid_value(key, path, rid)
            return rid
        if value.get("id"):
            rid = str(value["id"])
            if self.get(target, rid) is None:
                raise _invalid_value(key, path, rid)
            return rid
        found = self.by_eid(target, str(value["externalId"]))
        if not found:
            raise _invalid_value(key, path, value["externalId"])
        return str(found["id"])

    def _lines(self, rtype: str, name: str, value: Any) -> list[dict[str, Any]]:
        spec = TYPES_DEF[rtype]
        columns = spec.sublists[name]
        items = value.get("items") if isinstance(value, dict) else None
        if not isinstance(items, list):
            raise NsError(400, "INVALID_CONTENT", f"Sublist '{name}' must be {{\"items\": [...]}}.", name)
        lines = []
        for n, item in enumerate(items):
            where = f"{name}.items[{n}]"
            if not isinstance(item, dict):
                raise NsError(400, "INVALID_CONTENT", f"Invalid line {n + 1} in sublist {name}.", where)
            line: dict[str, Any] = {}
            for key, val in item.items():
                if key == "links":
                    continue
                ftype = columns.get(key)
                if ftype is None:
                    raise NsError(
                        400,
                        "INVALID_CONTENT",
                        f"Invalid field name '{key}' in sublist {name}.",
                        f"{where}.{key}",
                    )
                line[key] = self._coerce(rtype, key, ftype, val, f"{where}.{key}")
            missing = [f for f in spec.required_lines.get(name, ()) if line.get(f) in (None, "")]
            if missing:
                raise NsError(
                    400,
                    "USER_ERROR",
                    f"Please enter value(s) for: {', '.join(missing)}",
                    f"{where}.{missing[0]}",
                )
            lines.append(line)
        return lines

    # -- applications: payments and credit memos against invoices ------------------------------------------
    def _check_applications(
        self, rtype: str, record: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        """Each applied invoice belongs to the same customer, and no application exceeds what the invoice
        still owes (this record's own earlier application counted as not yet made)."""
        customer = str(record.get("customer") or record.get("entity") or "")
        for n, line in enumerate(record.get("apply") or []):
            if not line.get("apply"):
                continue
            where = f"apply.items[{n}].doc"
            invoice = self.get("invoice", str(line["doc"]))
            if invoice is None or str(invoice.get("entity")) != customer:
                raise _invalid_value("doc", where, line["doc"])
            already = self._paid(str(line["doc"]), exclude=(rtype, str((existing or {}).get("id") or "")))
            due = round(float(invoice.get("total") or 0) - already, 2)
            if line.get("amount") is None:
                line["amount"] = due
            if float(line["amount"]) > due + 0.005:
                raise NsError(
                    400,
                    "USER_ERROR",
                    f"The amount applied to {invoice.get('tranId') or invoice['id']} ({line['amount']}) "
                    f"exceeds the amount due ({due}).",
                    f"apply.items[{n}].amount",
                )
        if rtype in RECOMPUTE:
            RECOMPUTE[rtype](record)
        total = float(record.get("payment") if rtype == "customerpayment" else record.get("total") or 0)
        if float(record.get("applied") or 0) > total + 0.005:
            raise NsError(
                400, "USER_ERROR", "The total applied exceeds the amount of the transaction.", "apply"
            )

    def _paid(self, invoice_id: str, *, exclude: tuple[str, str] = ("", "")) -> float:
        paid = 0.0
        for rtype in APPLYING:
            for record in self.store.all(SYSTEM, rtype):
                if (rtype, str(record["id"])) == exclude:
                    continue
                for line in record.get("apply") or []:
                    if str(line.get("doc")) == invoice_id and line.get("apply"):
                        paid += float(line.get("amount") or 0)
        return round(paid, 2)

    def applied_invoices(self, *records: dict[str, Any] | None) -> set[str]:
        return {str(line["doc"]) for r in records if r for line in r.get("apply") or [] if line.get("doc")}

    def refresh_invoices(self, invoice_ids: set[str]) -> list[dict[str, Any]]:
        """Recompute what each invoice has been paid from every application that names it."""
        changed = []
        for invoice_id in sorted(invoice_ids):
            invoice = self.store.get(SYSTEM, "invoice", invoice_id)
            if invoice is None:
                continue
            before = (invoice.get("amountPaid"), invoice.get("status"))
            invoice["amountPaid"] = self._paid(invoice_id)
            recompute_invoice(invoice)
            if (invoice["amountPaid"], invoice["status"]) != before:
                invoice["lastModifiedDate"] = iso_z(utcnow())
                self.store.put(SYSTEM, "invoice", invoice_id, invoice)
                changed.append(invoice)
        return changed

    # -- shaping a record the way GET returns it ------------------------------------------------------------
    def present(self, rtype: str, record: dict[str, Any], *, expand: bool = False) -> dict[str, Any]:
        spec = TYPES_DEF[rtype]
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self.url(rtype, record["id"])}]}
        for name, ftype in spec.fields.items():
            value = record.get(name)
            if ftype.startswith("sublist:"):
                out[name] = self.sublist(rtype, record, name, expand=expand)
            elif value is None:
                continue  # NetSuite leaves empty fields out
            else:
                out[name] = self.value(rtype, name, ftype, value)
        out["id"] = record["id"]
        for key, value in record.items():
            if key.startswith(("custentity", "custbody", "custitem", "custrecord")):
                out[key] = value
        return out

    def value(self, rtype: str, name: str, ftype: str, value: Any) -> Any:
        if ftype.startswith("ref:"):
            return self.ref(target_type(ftype, rtype), str(value))
        if ftype.startswith("multiref:"):
            target = ftype.split(":", 1)[1]
            return {"items": [self.ref(target, str(v)) for v in value or []]}
        if ftype == "quantity":
            return {"value": value}
        if ftype == "status":
            return {"id": value, "refName": STATUS_NAMES.get(value, value)}
        return value

    def address(self, address: dict[str, Any], href: str) -> dict[str, Any]:
        """An expanded address subrecord: its own link, its fields, the country as a reference."""
        out: dict[str, Any] = {"links": [{"rel": "self", "href": href}]}
        for name, ftype in ADDRESS.items():
            if address.get(name) is not None:
                out[name] = self.value("customer", name, ftype, address[name])
        return out

    def ref(self, target: str, rid: str) -> dict[str, Any]:
        if target in LISTS:
            return {"id": rid, "refName": LISTS[target].get(rid, rid)}
        rtype = (self.item_type(rid) or ITEM_TYPES[0]) if target == "item" else target
        found = self.store.peek(SYSTEM, rtype, rid) or {}
        name = found.get(TYPES_DEF[rtype].name_field) or rid
        if rtype == "job":
            name = found.get("entityId") or name
        return {"links": [{"rel": "self", "href": self.url(rtype, rid)}], "id": rid, "refName": name}

    def sublist(self, rtype: str, record: dict[str, Any], name: str, *, expand: bool) -> dict[str, Any]:
        href = f"{self.url(rtype, record['id'])}/{name}"
        if not expand:
            return {"links": [{"rel": "self", "href": href}]}
        lines = []
        for n, line in enumerate(record.get(name) or [], start=1):
            shaped: dict[str, Any] = {"links": [], "line": n} if name != "apply" else {"links": []}
            for key, ftype in TYPES_DEF[rtype].sublists[name].items():
                if line.get(key) is None:
                    continue
                if ftype == "subrecord:address":
                    shaped[key] = self.address(line[key], f"{href}/{n}/{key}")
                else:
                    shaped[key] = self.value(rtype, key, ftype, line[key])
            lines.append(shaped)
        return {
            "links": [{"rel": "self", "href": href}],
            "items": lines,
            "totalResults": len(lines),
            "count": len(lines),
            "hasMore": False,
            "offset": 0,
        }


def _merge_lines(
    name: str, current: list[dict[str, Any]], incoming: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """An update without ``replace`` (Working with Sublists): the ``apply`` sublist is keyed by ``doc``, so
    a line naming an applied document changes that line; lines of other sublists are added."""
    if name != "apply":
        return [*current, *incoming]
    merged = {str(line.get("doc")): dict(line) for line in current}
    for line in incoming:
        merged[str(line.get("doc"))] = {**merged.get(str(line.get("doc")), {}), **line}
    return list(merged.values())


def as_date(value: Any) -> date | None:
    parsed = parse_iso(value) if isinstance(value, str) else None
    return parsed.date() if parsed else None
