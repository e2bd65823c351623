"""Invoices as each ERP keeps them: which state an existing invoice is in, and the shape of a draft's line.

The planner (:mod:`.billing`) asks two things of the ERP: is a period's invoice posted (closed: late work
goes to the next period), waiting for approval (its work waits), or rejected (planned again), and how much
it bills (for a not-to-exceed cap); and what an invoice line looks like in the ERP's API.

* NetSuite: invoices carry ``approvalstatus`` (1 pending approval, 2 approved, 3 rejected) and
  ``foreigntotal``; a line is an ``item`` sublist row with ``item``, ``quantity``, ``rate``, ``amount``
  and ``taxCode`` references.
* Business Central (API v2.0 salesInvoice): ``status`` Draft (or In Review) is not posted yet; Open, Paid,
  Canceled and Corrective are posted. The flow deletes a rejected draft, so there is no rejected state.
  A line is a ``salesInvoiceLine``: ``lineType`` Item, ``lineObjectNumber`` (the item number),
  ``quantity``, ``unitPrice``, ``taxCode`` and its ``sequence`` (the line number, so a replayed deep insert
  finds its lines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .billing_sources import Unit, text

POSTED, PENDING, REJECTED = "posted", "pending", "rejected"


@dataclass(frozen=True)
class Existing:
    key: str
    state: str
    total: float


def _float(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def netsuite_invoice(row: dict[str, Any]) -> Existing:
    status = text(row.get("approvalstatus"))
    state = {"2": POSTED, "1": PENDING, "3": REJECTED}.get(status, "")
    return Existing(
        text(row.get("externalid") or row.get("externalId")),
        state,
        _float(row.get("foreigntotal") or row.get("total")),
    )


def dynamics_invoice(row: dict[str, Any]) -> Existing:
    status = text(row.get("status")) or "Draft"
    return Existing(
        text(row.get("externalDocumentNumber")),
        PENDING if status in ("Draft", "In Review") else POSTED,
        _float(row.get("totalAmountExcludingTax")),
    )


def netsuite_line(unit: Unit, item: str, tax: str, amount: float, index: int) -> dict[str, Any]:
    return {
        "item": {"id": item},
        "description": unit.description,
        "quantity": unit.quantity,
        "rate": unit.rate,
        "amount": amount,
        "taxCode": {"id": tax},
    }


def dynamics_line(unit: Unit, item: str, tax: str, amount: float, index: int) -> dict[str, Any]:
    line = {
        "sequence": (index + 1) * 10000,
        "lineType": "Item",
        "lineObjectNumber": item,
        "description": unit.description[:100],  # Text[100] in Business Central
        "quantity": unit.quantity,
        "unitPrice": unit.rate,
    }
    if tax:
        line["taxCode"] = tax
    return line


@dataclass(frozen=True)
class Erp:
    existing: Callable[[dict[str, Any]], Existing]
    line: Callable[[Unit, str, str, float, int], dict[str, Any]]
    key_length: int  # the external id field's length
    tax_required: bool  # NetSuite lines need a tax code; Business Central may take it from the customer


ERPS: dict[str, Erp] = {
    "netsuite": Erp(netsuite_invoice, netsuite_line, 300, True),
    "dynamics": Erp(dynamics_invoice, dynamics_line, 35, False),
}
