"""SuiteQL's view of the records: one table per record type with lower-case columns (references as internal
ids), ``item`` over every item type, invoices, credit memos and payments in ``transaction`` (``type``
CustInvc, CustCred, CustPymt) and their lines in ``transactionline``.

Date-times stay instants (aware, UTC) here; the query engine shows and reads them in the account's time
zone, as SuiteQL does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..platform.timeutil import parse_iso
from . import suiteql
from .schema import LISTS, TRANSACTION_TYPES, TYPES_DEF, target_type

SYSTEM = "netsuite"
RECORD_TABLES = (
    "customer",
    "job",
    "currency",
    "subsidiary",
    "term",
    "pricelevel",
    "department",
    "classification",
    "location",
)
# transaction.status letters as SuiteQL returns them, and what BUILTIN.DF shows for them
STATUS_LETTERS = {
    "invoice": {"open": "A", "paidInFull": "B", "pendingApproval": "D", "rejected": "E"},
    "creditmemo": {"open": "A", "fullyApplied": "B"},
    "customerpayment": {"deposited": "C", "notDeposited": "B"},
}
STATUS_DISPLAY = {
    ("CustInvc", "A"): "Invoice : Open",
    ("CustInvc", "B"): "Invoice : Paid In Full",
    ("CustInvc", "D"): "Invoice : Pending Approval",
    ("CustInvc", "E"): "Invoice : Rejected",
    ("CustCred", "A"): "Credit Memo : Open",
    ("CustCred", "B"): "Credit Memo : Fully Applied",
    ("CustPymt", "B"): "Payment : Not Deposited",
    ("CustPymt", "C"): "Payment : Deposited",
}


def _date(value: Any) -> date | None:
    parsed = parse_iso(value) if isinstance(value, str) else None
    return parsed.date() if parsed else None


def _instant(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


def _int(value: Any) -> Any:
    return int(value) if value not in (None, "") and str(value).isdigit() else value


def record_rows(store: Any, rtype: str) -> list[dict[str, Any]]:
    spec = TYPES_DEF[rtype]
    rows = []
    for r in store.all(SYSTEM, rtype):
        row: dict[str, Any] = {}
        for name, ftype in spec.fields.items():
            value = r.get(name)
            if value is None or ftype.startswith(("sublist:", "multiref:")):
                continue
            if ftype.startswith("ref:"):
                row[name.lower()] = _int(value)
            elif ftype == "date":
                row[name.lower()] = _date(value)
            elif ftype == "datetime":
                row[name.lower()] = _instant(value)
            else:
                row[name.lower()] = value
        row["id"] = int(r["id"])
        row.update(
            {k.lower(): v for k, v in r.items() if k.startswith(("custentity", "custbody", "custitem"))}
        )
        rows.append(row)
    return sorted(rows, key=lambda x: x["id"])


def _columns(rtype: str) -> tuple[str, ...]:
    fields = TYPES_DEF[rtype].fields.items()
    return ("id",) + tuple(n.lower() for n, t in fields if not t.startswith(("sublist:", "multiref:")))


def suiteql_tables(store: Any) -> dict[str, suiteql.Table]:
    def display(columns: dict[str, str]) -> Callable[[str, Any], str | None]:
        """BUILTIN.DF(column): the referenced record's name (or list value)."""

        def show(col: str, value: Any) -> str | None:
            target = columns.get(col, "")
            if target in LISTS:
                return LISTS[target].get(str(value))
            if target == "item":
                for rtype in ("servicesaleitem", "salestaxitem"):
                    found = store.peek(SYSTEM, rtype, str(value))
                    if found:
                        return found.get(TYPES_DEF[rtype].name_field)
                return None
            if target in TYPES_DEF:
                found = store.peek(SYSTEM, target, str(value))
                return (found or {}).get(TYPES_DEF[target].name_field) if found else None
            return None

        return show

    def ref_columns(rtype: str) -> dict[str, str]:
        spec = TYPES_DEF[rtype]
        return {n.lower(): target_type(t, rtype) for n, t in spec.fields.items() if t.startswith("ref:")}

    tables = {
        rtype: suiteql.Table(
            (lambda rtype=rtype: record_rows(store, rtype)), _columns(rtype), display(ref_columns(rtype))
        )
        for rtype in RECORD_TABLES
    }

    def items() -> list[dict[str, Any]]:
        rows = []
        for rtype, kind in (("servicesaleitem", "Service"), ("salestaxitem", "TaxItem")):
            for r in store.all(SYSTEM, rtype):
                name = r.get(TYPES_DEF[rtype].name_field)
                rows.append(
                    {
                        "id": int(r["id"]),
                        "itemid": name,
                        "fullname": name,
                        "displayname": r.get("displayName") or name,
                        "description": r.get("salesDescription") or r.get("description"),
                        "itemtype": kind,
                        "isinactive": bool(r.get("isInactive")),
                        "externalid": r.get("externalId"),
                        "createddate": _instant(r.get("createdDate")),
                        "lastmodifieddate": _instant(r.get("lastModifiedDate")),
                    }
                )
        return sorted(rows, key=lambda x: x["id"])

    tables["item"] = suiteql.Table(
        items,
        (
            "id",
            "itemid",
            "fullname",
            "displayname",
            "description",
            "itemtype",
            "isinactive",
            "externalid",
            "createddate",
            "lastmodifieddate",
        ),
        display({}),
    )

    def transactions() -> list[dict[str, Any]]:
        rows = []
        for rtype, kind in TRANSACTION_TYPES.items():
            for r in store.all(SYSTEM, rtype):
                entity = r.get("entity") or r.get("customer")
                unpaid = r.get("amountRemaining") if rtype != "customerpayment" else r.get("unapplied")
                rows.append(
                    {
                        "id": int(r["id"]),
                        "tranid": r.get("tranId"),
                        "trandate": _date(r.get("tranDate")),
                        "duedate": _date(r.get("dueDate")),
                        "entity": _int(entity),
                        "type": kind,
                        "status": STATUS_LETTERS[rtype].get(str(r.get("status")), "A"),
                        "memo": r.get("memo"),
                        "foreigntotal": r.get("total") if rtype != "customerpayment" else r.get("payment"),
                        "foreignamountpaid": r.get("amountPaid") if rtype != "customerpayment" else None,
                        "foreignamountunpaid": unpaid,
                        "currency": _int(r.get("currency")),
                        "exchangerate": r.get("exchangeRate"),
                        "terms": _int(r.get("terms")),
                        "externalid": r.get("externalId"),
                        "otherrefnum": r.get("otherRefNum"),
                        "job": _int(r.get("job")),
                        "approvalstatus": _int(r.get("approvalStatus")),
                        "createdfrom": _int(r.get("createdFrom")),
                        "createddate": _instant(r.get("createdDate")),
                        "lastmodifieddate": _instant(r.get("lastModifiedDate")),
                    }
                )
        return sorted(rows, key=lambda x: x["id"])

    show_tx = display({"entity": "customer", "currency": "currency", "terms": "term", "job": "job"})
    tables["transaction"] = suiteql.Table(
        transactions,
        (
            "id",
            "tranid",
            "trandate",
            "duedate",
            "entity",
            "type",
            "status",
            "memo",
            "foreigntotal",
            "foreignamountpaid",
            "foreignamountunpaid",
            "currency",
            "exchangerate",
            "terms",
            "externalid",
            "otherrefnum",
            "job",
            "approvalstatus",
            "createdfrom",
            "createddate",
            "lastmodifieddate",
        ),
        show_tx,
        row_display=lambda col, row: (
            STATUS_DISPLAY.get((row.get("type"), row.get("status"))) if col == "status" else None
        ),
    )

    def lines() -> list[dict[str, Any]]:
        rows = []
        for rtype in ("invoice", "creditmemo"):
            for r in store.all(SYSTEM, rtype):
                for n, line in enumerate(r.get("item") or [], start=1):
                    rows.append(
                        {
                            "transaction": int(r["id"]),
                            "linesequencenumber": n,
                            "id": n,
                            "mainline": "F",
                            "item": _int(line.get("item")),
                            "quantity": line.get("quantity"),
                            "rate": line.get("rate"),
                            "netamount": line.get("amount"),
                            "memo": line.get("description"),
                            "subsidiary": _int(r.get("subsidiary")),
                            "department": _int(line.get("department") or r.get("department")),
                            "class": _int(line.get("class") or r.get("class")),
                            "location": _int(line.get("location") or r.get("location")),
                        }
                    )
        return rows

    tables["transactionline"] = suiteql.Table(
        lines,
        (
            "transaction",
            "linesequencenumber",
            "id",
            "mainline",
            "item",
            "quantity",
            "rate",
            "netamount",
            "memo",
            "subsidiary",
            "department",
            "class",
            "location",
        ),
        display(
            {
                "item": "item",
                "subsidiary": "subsidiary",
                "department": "department",
                "class": "classification",
                "location": "location",
                "transaction": "invoice",
            }
        ),
    )
    return tables
