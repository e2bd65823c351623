"""Certinia PSA objects <-> canonical project, milestone, assignment, resource, time entry, as field
tables. A weekly timecard is one canonical time entry dated at the week start, with ``days``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import partial
from typing import Any

from connectors.canonical.convert import always, iso_datetime, num, text
from connectors.canonical.fields import Composed, Computed, Field, FieldTable, Mapper

SYSTEM = "certinia"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

BASE = (
    Computed("source_system", always(SYSTEM)),
    Field("source_id", "Id", read=text, write=None),
    Field("external_id", "External_Id__c", read=text, write=None),
    Field("updated_at", "LastModifiedDate", read=iso_datetime, write=None),
)

PROJECT = FieldTable(
    *BASE,
    Field("name", "Name"),
    Field("number", "pse__Project_ID__c", write=None),
    Field("customer_id", "pse__Account__c"),
    Field("opportunity_id", "pse__Opportunity__c"),
    Field("start_date", "pse__Start_Date__c"),
    Field("end_date", "pse__End_Date__c"),
    Field("status", "pse__Stage__c"),
    Field("billable", "pse__Is_Billable__c"),
    Field("billing_type", "pse__Billing_Type__c"),
    Field("budget_amount", "pse__Bookings__c", read=num),
    Field("budget_hours", "pse__Planned_Hours__c", read=num),
    Field("manager_id", "pse__Project_Manager__c"),
    Field("description", "pse__Description__c"),
    Field("active", "pse__Is_Active__c"),
)

MILESTONE = FieldTable(
    *BASE,
    Field("name", "Name"),
    Field("project_id", "pse__Project__c"),
    Field("target_date", "pse__Target_Date__c"),
    Field("actual_date", "pse__Actual_Date__c"),
    Field("amount", "pse__Milestone_Amount__c", read=num),
    Field("status", "pse__Status__c"),
    Field("approved", "pse__Approved__c"),
    Field("description", "pse__Description__c"),
)

ASSIGNMENT = FieldTable(
    *BASE,
    Field("project_id", "pse__Project__c"),
    Field("resource_id", "pse__Resource__c"),
    Field("role", "pse__Role__c"),
    Field("start_date", "pse__Start_Date__c"),
    Field("end_date", "pse__End_Date__c"),
    Field("bill_rate", "pse__Bill_Rate__c", read=num),
    Field("cost_rate", "pse__Cost_Rate_Amount__c", read=num),
    Field("planned_hours", "pse__Planned_Hours__c", read=num),
    Field("status", "pse__Status__c"),
    Field("billable", "pse__Is_Billable__c"),
)


def _full_name(r: Mapping[str, Any]) -> str:
    return r.get("Name") or " ".join(p for p in (r.get("FirstName"), r.get("LastName")) if p)


def _first_last(c: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The canonical first and last name, split from ``name`` when there is no last name."""
    first, last = c.get("first_name"), c.get("last_name")
    if not last and c.get("name"):
        first, _, last = str(c["name"]).rpartition(" ")
    return first or None, last


RESOURCE = FieldTable(
    *BASE,
    Computed("name", _full_name),
    Field("first_name", "FirstName", write=None),
    Composed("FirstName", lambda c: _first_last(c)[0]),
    Field("last_name", "LastName", write=None),
    Composed("LastName", lambda c: _first_last(c)[1]),
    Field("email", "Email"),
    Field("title", "Title"),
    Field("role", "pse__Resource_Role__c"),
    Field("cost_rate", "pse__Default_Cost_Rate__c", read=num),
    Composed("pse__Is_Resource__c", always(True)),
    Field("active", "pse__Is_Resource_Active__c"),
    Field("user_id", "pse__Salesforce_User__c", write=None),
)


# --- a weekly timecard <-> one time entry -------------------------------------------------------------


def _days(r: Mapping[str, Any]) -> dict[str, float]:
    return {d.lower(): float(r.get(f"pse__{d}_Hours__c") or 0) for d in DAYS}


def _total_hours(r: Mapping[str, Any]) -> float:
    total = num(r.get("pse__Total_Hours__c"))
    return total if total is not None else round(sum(_days(r).values()), 2)


def _entry_day(c: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(c["date"])[:10])


def _week_start(c: Mapping[str, Any]) -> date:
    day = _entry_day(c)
    return day - timedelta(days=day.weekday())


def _day_hours(weekday: str, c: Mapping[str, Any]) -> float:
    """Hours of one weekday: from ``days`` when present, else all ``hours`` on the weekday of ``date``."""
    days = c.get("days") or {DAYS[_entry_day(c).weekday()].lower(): c.get("hours") or 0}
    return float(days.get(weekday.lower()) or 0)


TIMECARD = FieldTable(
    *BASE,
    Field("project_id", "pse__Project__c"),
    Field("resource_id", "pse__Resource__c"),
    Field("assignment_id", "pse__Assignment__c"),
    Field("date", "pse__Start_Date__c", write=None),
    Composed("pse__Start_Date__c", lambda c: _week_start(c).isoformat()),
    Composed("pse__End_Date__c", lambda c: (_week_start(c) + timedelta(days=6)).isoformat()),
    Computed("hours", _total_hours),
    Field("billable", "pse__Billable__c"),
    Field("approved", "pse__Approved__c", write=None),
    Field("notes", "pse__Timecard_Notes__c"),
    Field("bill_rate", "pse__Bill_Rate__c", read=num, write=None),
    Computed("days", _days),
    *(Composed(f"pse__{d}_Hours__c", partial(_day_hours, d)) for d in DAYS),
)

EXPENSE = FieldTable(
    *BASE,
    Field("project_id", "pse__Project__c"),
    Field("resource_id", "pse__Resource__c"),
    Field("date", "pse__Expense_Date__c"),
    Field("amount", "pse__Amount__c", read=num),
    Field("category", "pse__Type__c"),
    Field("billable", "pse__Billable__c"),
    Field("approved", "pse__Approved__c", write=None),
    Field("notes", "pse__Notes__c"),
)


def _billing_status(r: Mapping[str, Any]) -> str:
    """Certinia's stages of a billing event: generated, released to finance, invoiced."""
    if r.get("pse__Invoiced__c"):
        return "invoiced"
    return "released" if r.get("pse__Is_Released__c") else "draft"


# A billing event is Certinia's side of an invoice (its items are the lines): project, invoice number and
# date go both ways; its total and stage are Certinia's.
INVOICE = FieldTable(
    *BASE,
    Field("project_id", "pse__Project__c"),
    Field("number", "pse__Invoice_Number__c"),
    Field("invoice_date", "pse__Invoice_Date__c"),
    Field("total", "pse__Summary_Amount__c", read=num, write=None),
    Computed("status", _billing_status),
)

MAPPINGS = (
    Mapper(SYSTEM, "project", "pse__Proj__c", PROJECT),
    Mapper(SYSTEM, "milestone", "pse__Milestone__c", MILESTONE),
    Mapper(SYSTEM, "assignment", "pse__Assignment__c", ASSIGNMENT),
    Mapper(SYSTEM, "resource", "Contact", RESOURCE),
    Mapper(SYSTEM, "time_entry", "pse__Timecard_Header__c", TIMECARD),
    Mapper(SYSTEM, "expense", "pse__Expense__c", EXPENSE),
    Mapper(SYSTEM, "invoice", "pse__Billing_Event__c", INVOICE),
)
