"""Billable work as the invoice planner reads it, from each PSA's own records.

The planner's rules (:mod:`.billing`) are the same whichever PSA the work comes from; what differs is where
a record says it is approved, billable and not invoiced yet, what it bills (hours x rate, an expense at
cost, a fixed fee) and which project it belongs to. Each PSA's reader turns its records into :class:`Unit`.

* Kantata OX: time entries (``time_in_minutes`` x the ``rate_in_cents`` Kantata took from the rate card
  or assignment), expenses, and stories of type milestone with a fixed fee (``budget_estimate_in_cents``).
* Certinia PSA: timecard splits (``pse__Timecard__c``: Certinia splits a week's timecard at period ends,
  and bills through the splits, PSA data dictionary), expenses (``pse__Expense__c``), and approved
  milestones with an amount (``pse__Milestone__c``). A split or expense already billed (on a released
  billing event) or invoiced is not billed again. Write-ups and write-downs are miscellaneous adjustments
  (``pse__Miscellaneous_Adjustment__c``, PSA data dictionary): one is billed when it is Approved for
  Billing, not on Billing Hold, not Billed, and of Transaction Category ``Ready-to-Bill Revenue`` (the one
  category Certinia bills by default); its amount is in the project's currency, positive (a write-up) or
  negative (a write-down). A write-down is a line of quantity -1 at the absolute amount, so both ERPs take
  it as a negative line.

Time booked on a fixed-fee milestone is not billed as time: the milestone's fee covers it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .billing_cycles import parse_day


@dataclass
class Unit:
    """One billable thing: time, an expense, a fixed-fee milestone or a write-up/down."""

    kind: str  # time | expense | milestone | adjustment
    ref: str
    workspace_id: str  # the PSA project's id
    day: date | None
    description: str
    quantity: float
    rate: float | None
    currency: str
    source_id: str
    hours: float = 0.0
    milestone_id: str = ""


def text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def kantata_units(
    time: list[dict],
    expenses: list[dict],
    stories: list[dict],
    milestones: list[dict],
    adjustments: Sequence[dict] = (),
) -> list[Unit]:
    # Kantata documents no write-up/down record: its additional items are lines created with a Kantata
    # invoice (POST /invoices), not pending work; a write-down is a time entry's rate or billable flag
    # changed before invoicing, read below. Adjustments are Certinia's.
    fixed_fee = {
        text(s.get("id"))
        for s in stories
        if s.get("story_type") == "milestone" and int(s.get("budget_estimate_in_cents") or 0) > 0
    }
    units: list[Unit] = []
    for t in time:
        if not (t.get("approved") and t.get("billable") is not False and not t.get("is_invoiced")):
            continue
        if text(t.get("story_id")) in fixed_fee:
            continue
        hours = round(int(t.get("time_in_minutes") or 0) / 60, 2)
        cents = t.get("rate_in_cents")
        units.append(
            Unit(
                "time",
                f"T{t.get('id')}",
                text(t.get("workspace_id")),
                parse_day(t.get("date_performed")),
                f"{t.get('date_performed')} {t.get('notes') or 'Professional services'}",
                hours,
                round(int(cents) / 100, 2) if cents else None,
                text(t.get("currency")),
                text(t.get("id")),
                hours=hours,
            )
        )
    for e in expenses:
        if not (e.get("is_billable", e.get("billable")) and not e.get("is_invoiced")):
            continue
        amount = round(int(e.get("amount_in_cents") or 0) / 100, 2)
        notes = f": {e['notes']}" if e.get("notes") else ""
        units.append(
            Unit(
                "expense",
                f"E{e.get('id')}",
                text(e.get("workspace_id")),
                parse_day(e.get("date")),
                f"{e.get('date')} {e.get('category') or 'Expense'}{notes}",
                1.0,
                amount,
                text(e.get("currency")),
                text(e.get("id")),
            )
        )
    for m in milestones:
        if m.get("story_type") != "milestone" or m.get("state") != "completed" or m.get("billable") is False:
            continue
        cents = int(m.get("budget_estimate_in_cents") or 0)
        if cents <= 0:
            continue
        units.append(
            Unit(
                "milestone",
                f"M{m.get('id')}",
                text(m.get("workspace_id")),
                parse_day(m.get("due_date")) or parse_day(m.get("updated_at")),
                f"Milestone: {m.get('title')}",
                1.0,
                round(cents / 100, 2),
                text(m.get("currency")),
                text(m.get("id")),
                milestone_id=text(m.get("id")),
            )
        )
    return units


def _open(record: dict) -> bool:
    """Approved, billable and neither on a released billing event nor invoiced."""
    return (
        bool(record.get("pse__Approved__c"))
        and record.get("pse__Billable__c") is not False
        and not record.get("pse__Billed__c")
        and not record.get("pse__Invoiced__c")
    )


def certinia_units(
    splits: list[dict],
    expenses: list[dict],
    stories: list[dict],
    milestones: list[dict],
    adjustments: Sequence[dict] = (),
) -> list[Unit]:
    fixed_fee = {text(m.get("Id")) for m in stories if _number(m.get("pse__Milestone_Amount__c")) > 0}
    units: list[Unit] = []
    for s in splits:
        if not _open(s) or text(s.get("pse__Milestone__c")) in fixed_fee:
            continue
        hours = round(_number(s.get("pse__Total_Hours__c")), 2)
        if hours <= 0:
            continue
        rate = _number(s.get("pse__Bill_Rate__c"))
        start, end = text(s.get("pse__Start_Date__c")), text(s.get("pse__End_Date__c"))
        units.append(
            Unit(
                "time",
                f"T{s.get('Id')}",
                text(s.get("pse__Project__c")),
                parse_day(start),
                f"{start} to {end} {s.get('Name') or 'Professional services'}",
                hours,
                round(rate, 2) if rate > 0 else None,
                text(s.get("CurrencyIsoCode")),
                text(s.get("Id")),
                hours=hours,
            )
        )
    for e in expenses:
        if not _open(e):
            continue
        notes = f": {e['pse__Description__c']}" if e.get("pse__Description__c") else ""
        units.append(
            Unit(
                "expense",
                f"E{e.get('Id')}",
                text(e.get("pse__Project__c")),
                parse_day(e.get("pse__Expense_Date__c")),
                f"{e.get('pse__Expense_Date__c')} {e.get('pse__Type__c') or 'Expense'}{notes}",
                1.0,
                round(_number(e.get("pse__Amount__c")), 2),
                text(e.get("CurrencyIsoCode")),
                text(e.get("Id")),
            )
        )
    for m in milestones:
        amount = round(_number(m.get("pse__Milestone_Amount__c")), 2)
        if not _open(m) or amount <= 0:
            continue
        units.append(
            Unit(
                "milestone",
                f"M{m.get('Id')}",
                text(m.get("pse__Project__c")),
                parse_day(m.get("pse__Actual_Date__c")) or parse_day(m.get("pse__Target_Date__c")),
                f"Milestone: {m.get('Name')}",
                1.0,
                amount,
                text(m.get("CurrencyIsoCode")),
                text(m.get("Id")),
                milestone_id=text(m.get("Id")),
            )
        )
    units.extend(_adjustment(a) for a in adjustments if _billable_adjustment(a))
    return units


READY_TO_BILL = "Ready-to-Bill Revenue"


def _billable_adjustment(record: dict) -> bool:
    """Approved for billing, not held, not on a billing event yet, billed by default (Ready-to-Bill
    Revenue) and not zero (PSA data dictionary, pse__Miscellaneous_Adjustment__c)."""
    return (
        bool(record.get("pse__Approved_for_Billing__c"))
        and not record.get("pse__Billing_Hold__c")
        and not record.get("pse__Billed__c")
        and record.get("pse__Billing_Event_Invoiced__c") != "Yes"
        and record.get("pse__Transaction_Category__c") == READY_TO_BILL
        and round(_number(record.get("pse__Amount__c")), 2) != 0
    )


def _adjustment(a: dict) -> Unit:
    amount = round(_number(a.get("pse__Amount__c")), 2)
    label = "Write-up" if amount > 0 else "Write-down"
    what = text(a.get("pse__Description__c")) or text(a.get("Name")) or "adjustment"
    day = a.get("pse__Effective_Date__c")
    return Unit(
        "adjustment",
        f"A{a.get('Id')}",
        text(a.get("pse__Project__c")),
        parse_day(day),
        f"{day} {label}: {what}" if day else f"{label}: {what}",
        1.0 if amount > 0 else -1.0,  # a write-down: quantity -1 at the absolute amount
        abs(amount),
        text(a.get("CurrencyIsoCode")),
        text(a.get("Id")),
    )


Reader = Callable[[list[dict], list[dict], list[dict], list[dict], Sequence[dict]], list[Unit]]
READERS: dict[str, Reader] = {"kantata": kantata_units, "certinia": certinia_units}
