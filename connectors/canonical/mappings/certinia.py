"""Certinia PSA objects <-> canonical project, milestone, assignment, resource, time entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import compact, iso_datetime, num, text

SYSTEM = "certinia"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_system": SYSTEM,
        "source_id": text(r.get("Id")),
        "external_id": text(r.get("External_Id__c")),
        "updated_at": iso_datetime(r.get("LastModifiedDate")),
    }


def project_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "name": r.get("Name"),
            "number": r.get("pse__Project_ID__c"),
            "customer_id": r.get("pse__Account__c"),
            "opportunity_id": r.get("pse__Opportunity__c"),
            "start_date": r.get("pse__Start_Date__c"),
            "end_date": r.get("pse__End_Date__c"),
            "status": r.get("pse__Stage__c"),
            "billable": r.get("pse__Is_Billable__c"),
            "billing_type": r.get("pse__Billing_Type__c"),
            "budget_amount": num(r.get("pse__Bookings__c")),
            "budget_hours": num(r.get("pse__Planned_Hours__c")),
            "manager_id": r.get("pse__Project_Manager__c"),
            "description": r.get("pse__Description__c"),
            "active": r.get("pse__Is_Active__c"),
        }
    )


def project_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "Name": c.get("name"),
            "pse__Account__c": c.get("customer_id"),
            "pse__Opportunity__c": c.get("opportunity_id"),
            "pse__Start_Date__c": c.get("start_date"),
            "pse__End_Date__c": c.get("end_date"),
            "pse__Stage__c": c.get("status"),
            "pse__Is_Billable__c": c.get("billable"),
            "pse__Billing_Type__c": c.get("billing_type"),
            "pse__Bookings__c": c.get("budget_amount"),
            "pse__Planned_Hours__c": c.get("budget_hours"),
            "pse__Project_Manager__c": c.get("manager_id"),
            "pse__Description__c": c.get("description"),
            "pse__Is_Active__c": c.get("active"),
        }
    )


def milestone_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "name": r.get("Name"),
            "project_id": r.get("pse__Project__c"),
            "target_date": r.get("pse__Target_Date__c"),
            "actual_date": r.get("pse__Actual_Date__c"),
            "amount": num(r.get("pse__Milestone_Amount__c")),
            "status": r.get("pse__Status__c"),
            "approved": r.get("pse__Approved__c"),
            "description": r.get("pse__Description__c"),
        }
    )


def milestone_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "Name": c.get("name"),
            "pse__Project__c": c.get("project_id"),
            "pse__Target_Date__c": c.get("target_date"),
            "pse__Actual_Date__c": c.get("actual_date"),
            "pse__Milestone_Amount__c": c.get("amount"),
            "pse__Status__c": c.get("status"),
            "pse__Approved__c": c.get("approved"),
            "pse__Description__c": c.get("description"),
        }
    )


def assignment_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "project_id": r.get("pse__Project__c"),
            "resource_id": r.get("pse__Resource__c"),
            "role": r.get("pse__Role__c"),
            "start_date": r.get("pse__Start_Date__c"),
            "end_date": r.get("pse__End_Date__c"),
            "bill_rate": num(r.get("pse__Bill_Rate__c")),
            "cost_rate": num(r.get("pse__Cost_Rate_Amount__c")),
            "planned_hours": num(r.get("pse__Planned_Hours__c")),
            "status": r.get("pse__Status__c"),
            "billable": r.get("pse__Is_Billable__c"),
        }
    )


def assignment_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "pse__Project__c": c.get("project_id"),
            "pse__Resource__c": c.get("resource_id"),
            "pse__Role__c": c.get("role"),
            "pse__Start_Date__c": c.get("start_date"),
            "pse__End_Date__c": c.get("end_date"),
            "pse__Bill_Rate__c": c.get("bill_rate"),
            "pse__Cost_Rate_Amount__c": c.get("cost_rate"),
            "pse__Planned_Hours__c": c.get("planned_hours"),
            "pse__Status__c": c.get("status"),
            "pse__Is_Billable__c": c.get("billable"),
        }
    )


def resource_to(r: Mapping[str, Any]) -> dict[str, Any]:
    name = r.get("Name") or " ".join(p for p in (r.get("FirstName"), r.get("LastName")) if p)
    return compact(
        {
            **_base(r),
            "name": name,
            "first_name": r.get("FirstName"),
            "last_name": r.get("LastName"),
            "email": r.get("Email"),
            "title": r.get("Title"),
            "role": r.get("pse__Resource_Role__c"),
            "cost_rate": num(r.get("pse__Default_Cost_Rate__c")),
            "active": r.get("pse__Is_Resource_Active__c"),
            "user_id": r.get("pse__Salesforce_User__c"),
        }
    )


def resource_from(c: Mapping[str, Any]) -> dict[str, Any]:
    first, last = c.get("first_name"), c.get("last_name")
    if not last and c.get("name"):
        first, _, last = str(c["name"]).rpartition(" ")
    return compact(
        {
            "FirstName": first or None,
            "LastName": last,
            "Email": c.get("email"),
            "Title": c.get("title"),
            "pse__Resource_Role__c": c.get("role"),
            "pse__Default_Cost_Rate__c": c.get("cost_rate"),
            "pse__Is_Resource__c": True,
            "pse__Is_Resource_Active__c": c.get("active"),
        }
    )


def timecard_to(r: Mapping[str, Any]) -> dict[str, Any]:
    """A weekly timecard header becomes one time entry dated at the week start, with ``days``."""
    days = {d.lower(): float(r.get(f"pse__{d}_Hours__c") or 0) for d in DAYS}
    total = num(r.get("pse__Total_Hours__c"))
    return compact(
        {
            **_base(r),
            "project_id": r.get("pse__Project__c"),
            "resource_id": r.get("pse__Resource__c"),
            "assignment_id": r.get("pse__Assignment__c"),
            "date": r.get("pse__Start_Date__c"),
            "hours": total if total is not None else round(sum(days.values()), 2),
            "billable": r.get("pse__Billable__c"),
            "approved": r.get("pse__Approved__c"),
            "notes": r.get("pse__Timecard_Notes__c"),
            "bill_rate": num(r.get("pse__Bill_Rate__c")),
            "days": days,
        }
    )


def timecard_from(c: Mapping[str, Any]) -> dict[str, Any]:
    """Use ``days`` when present; otherwise the hours go on the weekday of ``date`` (week from Monday)."""
    from datetime import date, timedelta

    day = date.fromisoformat(str(c["date"])[:10])
    start = day - timedelta(days=day.weekday())
    days = c.get("days") or {DAYS[day.weekday()].lower(): c.get("hours") or 0}
    fields = {f"pse__{d}_Hours__c": float(days.get(d.lower()) or 0) for d in DAYS}
    return compact(
        {
            "pse__Project__c": c.get("project_id"),
            "pse__Resource__c": c.get("resource_id"),
            "pse__Assignment__c": c.get("assignment_id"),
            "pse__Start_Date__c": start.isoformat(),
            "pse__End_Date__c": (start + timedelta(days=6)).isoformat(),
            "pse__Billable__c": c.get("billable"),
            "pse__Timecard_Notes__c": c.get("notes"),
            **fields,
        }
    )


MAPPINGS = {
    "project": ("pse__Proj__c", project_to, project_from),
    "milestone": ("pse__Milestone__c", milestone_to, milestone_from),
    "assignment": ("pse__Assignment__c", assignment_to, assignment_from),
    "resource": ("Contact", resource_to, resource_from),
    "time_entry": ("pse__Timecard_Header__c", timecard_to, timecard_from),
}
