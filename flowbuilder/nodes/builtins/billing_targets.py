"""Invoices as each ERP keeps them: which state an existing invoice is in, and the shape of a draft's line.

The planner (:mod:`.billing`) asks two things of the ERP: is a period's invoice posted (closed: late work
goes to the next period), waiting for approval (its work waits), or rejected (by whom, why, and which work:
the fingerprint of its lines, so unchanged work is not drafted again), and how much it bills (for a
not-to-exceed cap); and what an invoice line looks like in the ERP's API. The rejection stays on the
rejected draft itself, in the ERP: deleting that draft there is how a person asks for the same work to be
drafted again.

* NetSuite: invoices carry ``approvalstatus`` (1 pending approval, 2 approved, 3 rejected) and
  ``foreigntotal``; the flow writes ``Rejected by <who>: <reason> [work <fingerprint>]`` to a rejected
  draft's ``memo``. A line is an ``item`` sublist row with ``item``, ``quantity``, ``rate``, ``amount``
  and ``taxCode`` references. A re-draft updates the rejected invoice in place (upsert by external id).
* Business Central (API v2.0 salesInvoice): ``status`` Draft (or In Review) is not posted yet; Open, Paid,
  Canceled and Corrective are posted. salesInvoice has no memo: the flow marks a rejected draft in
  ``customerPurchaseOrderReference`` (35 characters: ``Rejected <fingerprint>``; who and why stay on the
  approval request). A draft cannot be rewritten by its external document number (the create finds it and
  keeps its lines), so when the work changed the flow deletes the rejected draft and the next run drafts
  the period afresh. A line is a ``salesInvoiceLine``: ``lineType`` Item, ``lineObjectNumber`` (the item
  number), ``quantity``, ``unitPrice``, ``taxCode`` and its ``sequence`` (the line number, so a replayed deep
  insert finds its lines). ``taxCode`` is the line's tax group code in a sales-tax company (US) and its VAT
  product posting group in a VAT company: both are the codes the API's ``taxGroups`` lists (``taxType``
  "Sales Tax" or "VAT"). Business Central computes ``taxPercent``, ``totalTaxAmount`` and
  ``amountIncludingTax`` on the line (read-only) and ``totalTaxAmount`` / ``totalAmountIncludingTax`` on
  the invoice; without a ``taxCode`` the line takes the item's group.
  https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoiceline
  https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_taxgroup
"""

from __future__ import annotations

import re
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
    record_id: str = ""
    # A rejected draft: the fingerprint of the work it held (empty: not recorded), who rejected it and why.
    fingerprint: str = ""
    rejected_by: str = ""
    reason: str = ""


REJECTED_MEMO = re.compile(
    r"^Rejected by (?P<by>.*?): (?P<reason>.*?)(?: \[work (?P<fp>[0-9a-f]+)\])?$", re.S
)
REJECTED_MARK = "Rejected "  # Business Central: customerPurchaseOrderReference of a rejected draft


def _float(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def netsuite_invoice(row: dict[str, Any]) -> Existing:
    status = text(row.get("approvalstatus"))
    state = {"2": POSTED, "1": PENDING, "3": REJECTED}.get(status, "")
    found = REJECTED_MEMO.match(text(row.get("memo"))) if state == REJECTED else None
    return Existing(
        text(row.get("externalid") or row.get("externalId")),
        state,
        _float(row.get("foreigntotal") or row.get("total")),
        text(row.get("id")),
        text(found and found["fp"]),
        text(found and found["by"]),
        text(found and found["reason"]),
    )


def dynamics_invoice(row: dict[str, Any]) -> Existing:
    status = text(row.get("status")) or "Draft"
    state = PENDING if status in ("Draft", "In Review") else POSTED
    mark = text(row.get("customerPurchaseOrderReference"))
    fingerprint = ""
    if state == PENDING and mark.startswith(REJECTED_MARK):
        state, fingerprint = REJECTED, mark[len(REJECTED_MARK) :].strip()
    return Existing(
        text(row.get("externalDocumentNumber")),
        state,
        _float(row.get("totalAmountExcludingTax")),
        text(row.get("id")),
        fingerprint,
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
    # NetSuite lines need a tax code; Business Central may take it from the item's posting setup (an entity
    # with codes in the template gets them on every line, a kind without one is an exception either way)
    tax_required: bool
    redraft_in_place: bool  # a new draft of the key overwrites a rejected one (else: delete it first)
    redraft_hint: str  # how a person asks for unchanged rejected work to be drafted again


ERPS: dict[str, Erp] = {
    "netsuite": Erp(
        netsuite_invoice,
        netsuite_line,
        300,
        True,
        True,
        "delete the rejected invoice {key} in NetSuite (Transactions > Sales > Invoices); the next run "
        "drafts the period again",
    ),
    "dynamics": Erp(
        dynamics_invoice,
        dynamics_line,
        35,
        False,
        False,
        "delete the rejected draft sales invoice {key} (external document no.) in Business Central; the "
        "next run drafts the period again",
    ),
}
