"""Certinia PSA objects (the pse__ managed package) as they live in the Salesforce org: field specs in the
Salesforce schema's format, auto-numbered names, and the fields Certinia computes itself.

Field names, types, required flags and formulas follow Certinia's PSA data dictionary
(https://help.certinia.com/TechnicalReference/2025.3/ProfessionalServicesAutomation/Schema/<object>.htm).
What the package computes or sets through its own processes is read-only to the API here:

* an assignment needs its schedule (``pse__Schedule__c``: start, end and hours per weekday); its dates
  come from the schedule;
* a timecard (``pse__Timecard_Header__c``) is entered and approved; Certinia splits it into timecard
  splits (``pse__Timecard__c``) at period boundaries (calendar months here), and billing works on splits;
* billing goes through billing events and their items: an item points at one business record (timecard
  split, expense, milestone, miscellaneous adjustment, ...); releasing the event marks the records Billed,
  invoicing the event (only once released) marks them Invoiced. ``pse__Billed__c`` and
  ``pse__Invoiced__c`` on timecards, splits, expenses and milestones are therefore not writable: work is
  invoiced by its billing event;
* a miscellaneous adjustment (``pse__Miscellaneous_Adjustment__c``: a write-up or write-down of a
  project, in its currency) is billed when Approved for Billing, not on Billing Hold, and of Transaction
  Category Ready-to-Bill Revenue; it has Billed but no Invoiced box: its Billing Event Invoiced and
  Billing Event Released are formulas over its billing event item's event ("Yes", "No", "N/A").
  https://help.certinia.com/TechnicalReference/2023.3/ProfessionalServicesAutomation/Schema/Miscellaneous_Adjustment__c.htm

Resources are not an object of their own: they are Contacts with pse__Is_Resource__c = true (those
fields are in the Contact spec of ../schema.py).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_KEYS = tuple(f"pse__{d}_Hours__c" for d in DAYS)
_DAY_HOURS = " ".join(f"pse__{d}_Hours__c:double" for d in DAYS)

OBJECT_SPECS: dict[str, dict[str, Any]] = {
    "pse__Proj__c": {
        "prefix": "a1H",
        "required": "Name",
        "fields": "Name:string pse__Account__c:ref:Account pse__Opportunity__c:ref:Opportunity "
        "pse__Project_Manager__c:ref:Contact pse__Start_Date__c:date pse__End_Date__c:date "
        "pse__Stage__c:picklist pse__Is_Active__c:boolean pse__Is_Billable__c:boolean "
        "pse__Billing_Type__c:picklist pse__Project_Type__c:picklist pse__Bookings__c:currency "
        "pse__Planned_Hours__c:double pse__Project_ID__c:string pse__Description__c:textarea "
        "External_Id__c:extid Flowbuilder_Id__c:extid Kantata_Id__c:extid NetSuite_Id__c:extid "
        "ERP_Project_Id__c:string OwnerId:ref:User "
        # Project Tracking Against Billing Cap: ticked, the project is capped at its bookings.
        "pse__Apply_Billing_Cap__c:boolean "
        # Billing to cash: fields an org adds to show the latest posted invoice's collection state.
        "Billing_Status__c:picklist Billing_Invoice__c:string Billing_Total__c:currency "
        "Billing_Cash_Received__c:currency Billing_Credited__c:currency Billing_Open_Amount__c:currency "
        "Billing_Days_Overdue__c:int",
    },
    "pse__Milestone__c": {
        "prefix": "a1F",
        "required": "Name pse__Project__c",
        "readonly": "pse__Billed__c pse__Invoiced__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Target_Date__c:date "
        "pse__Actual_Date__c:date pse__Milestone_Amount__c:currency pse__Status__c:picklist "
        "pse__Approved__c:boolean pse__Billed__c:boolean pse__Invoiced__c:boolean "
        "pse__Description__c:textarea External_Id__c:extid",
    },
    "pse__Schedule__c": {
        "prefix": "a1P",
        "required": "pse__Start_Date__c pse__End_Date__c",
        "readonly": "pse__Scheduled_Hours__c pse__Scheduled_Days__c",
        "fields": f"Name:string pse__Start_Date__c:date pse__End_Date__c:date {_DAY_HOURS} "
        "pse__Scheduled_Hours__c:double pse__Scheduled_Days__c:double External_Id__c:extid",
    },
    "pse__Assignment__c": {
        "prefix": "a0z",
        "required": "pse__Project__c pse__Resource__c pse__Schedule__c",
        "readonly": "pse__Start_Date__c pse__End_Date__c pse__Scheduled_Hours__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Schedule__c:ref:pse__Schedule__c pse__Role__c:picklist pse__Bill_Rate__c:currency "
        "pse__Cost_Rate_Amount__c:currency pse__Start_Date__c:date pse__End_Date__c:date "
        "pse__Scheduled_Hours__c:double pse__Status__c:picklist pse__Planned_Hours__c:double "
        "pse__Is_Billable__c:boolean pse__Rate_Card__c:ref:pse__Rate_Card__c External_Id__c:extid",
    },
    "pse__Resource_Request__c": {
        "prefix": "a1Q",
        "required": "pse__Project__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource_Role__c:picklist "
        "pse__Start_Date__c:date pse__End_Date__c:date pse__SOW_Hours__c:double "
        "pse__Status__c:picklist pse__Staffer_Resource__c:ref:Contact "
        "pse__Assignment__c:ref:pse__Assignment__c pse__Notes__c:textarea External_Id__c:extid",
    },
    "pse__Timecard_Header__c": {
        "prefix": "a24",
        "required": "pse__Project__c pse__Resource__c pse__Start_Date__c",
        "readonly": "pse__Total_Hours__c pse__Billed__c pse__Invoiced__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Assignment__c:ref:pse__Assignment__c "
        "pse__Resource__c:ref:Contact pse__Milestone__c:ref:pse__Milestone__c pse__Start_Date__c:date "
        "pse__End_Date__c:date pse__Status__c:picklist pse__Approved__c:boolean pse__Billable__c:boolean "
        f"pse__Billed__c:boolean pse__Invoiced__c:boolean {_DAY_HOURS} pse__Total_Hours__c:double "
        "pse__Bill_Rate__c:currency "
        "pse__Timecard_Notes__c:textarea External_Id__c:extid Kantata_Id__c:extid",
    },
    # Timecard splits: created and kept in step by Certinia from their timecard; read-only to the API.
    "pse__Timecard__c": {
        "prefix": "a23",
        "required": "pse__Timecard_Header__c pse__Project__c",
        "readonly": "*",
        "fields": "Name:string pse__Timecard_Header__c:ref:pse__Timecard_Header__c "
        "pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Assignment__c:ref:pse__Assignment__c pse__Milestone__c:ref:pse__Milestone__c "
        f"pse__Start_Date__c:date pse__End_Date__c:date {_DAY_HOURS} pse__Total_Hours__c:double "
        "pse__Bill_Rate__c:currency pse__Total_Billable_Amount__c:currency pse__Approved__c:boolean "
        "pse__Billable__c:boolean pse__Billed__c:boolean pse__Invoiced__c:boolean "
        "pse__Billing_Event_Item__c:ref:pse__Billing_Event_Item__c",
    },
    "pse__Expense_Report__c": {
        "prefix": "a17",
        "required": "Name pse__Project__c pse__Resource__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Assignment__c:ref:pse__Assignment__c pse__Status__c:picklist pse__Approved__c:boolean "
        "pse__Billable__c:boolean pse__First_Expense_Date__c:date pse__Description__c:textarea "
        "External_Id__c:extid",
    },
    "pse__Expense__c": {
        "prefix": "a16",
        "required": "pse__Expense_Report__c pse__Amount__c pse__Type__c pse__Expense_Date__c",
        "readonly": "pse__Billed__c pse__Invoiced__c pse__Billing_Event_Item__c",
        "fields": "Name:string pse__Expense_Report__c:ref:pse__Expense_Report__c "
        "pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Assignment__c:ref:pse__Assignment__c pse__Milestone__c:ref:pse__Milestone__c "
        "pse__Amount__c:currency pse__Type__c:picklist pse__Expense_Date__c:date "
        "pse__Billable__c:boolean pse__Approved__c:boolean pse__Status__c:picklist "
        "pse__Billed__c:boolean pse__Invoiced__c:boolean pse__Description__c:textarea "
        "pse__Notes__c:textarea pse__Billing_Event_Item__c:ref:pse__Billing_Event_Item__c "
        "External_Id__c:extid",
    },
    "pse__Rate_Card__c": {
        "prefix": "a1N",
        "required": "pse__Suggested_Bill_Rate__c pse__Average_Cost_Rate__c",
        "fields": "Name:string pse__Role__c:picklist pse__Suggested_Bill_Rate__c:currency "
        "pse__Average_Cost_Rate__c:currency pse__Account__c:ref:Account pse__Start_Date__c:date "
        "pse__End_Date__c:date pse__Cascading_Role__c:boolean External_Id__c:extid",
    },
    "pse__Miscellaneous_Adjustment__c": {
        "prefix": "a1D",
        "required": "pse__Project__c pse__Amount__c",
        "readonly": "pse__Billed__c pse__Billing_Event_Item__c pse__Billing_Event_Invoiced__c "
        "pse__Billing_Event_Released__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Amount__c:currency "
        "pse__Transaction_Category__c:picklist pse__Effective_Date__c:date pse__Description__c:textarea "
        "pse__Status__c:picklist pse__Approved__c:boolean pse__Approved_for_Billing__c:boolean "
        "pse__Billing_Hold__c:boolean pse__Include_In_Financials__c:boolean pse__Billed__c:boolean "
        "pse__Billing_Event_Item__c:ref:pse__Billing_Event_Item__c pse__Billing_Event_Invoiced__c:string "
        "pse__Billing_Event_Released__c:string External_Id__c:extid",
    },
    "pse__Billing_Event__c": {
        "prefix": "a0Y",
        "required": "pse__Project__c",
        "readonly": "pse__Summary_Amount__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Date__c:date "
        "pse__Is_Released__c:boolean pse__Invoiced__c:boolean pse__Invoice_Number__c:string "
        "pse__Invoice_Date__c:date pse__Summary_Amount__c:currency pse__Customer_Reference__c:string "
        "pse__Billing_Contact__c:ref:Contact External_Id__c:extid",
    },
    "pse__Billing_Event_Item__c": {
        "prefix": "a0X",
        "required": "pse__Billing_Event__c pse__Project__c pse__Category__c",
        "readonly": "pse__Invoiced__c pse__Is_Released__c",
        "picklists": {"pse__Category__c": "Budget|Expense|Milestone|Miscellaneous Adjustment|Timecard"},
        "fields": "Name:string pse__Billing_Event__c:ref:pse__Billing_Event__c "
        "pse__Project__c:ref:pse__Proj__c pse__Category__c:picklist pse__Object_Id__c:string "
        "pse__Amount__c:currency "
        "pse__Quantity__c:double pse__Unit_Price__c:currency pse__Date__c:date "
        "pse__Description__c:textarea pse__Timecard_Split__c:ref:pse__Timecard__c "
        "pse__Expense__c:ref:pse__Expense__c pse__Milestone__c:ref:pse__Milestone__c "
        "pse__Miscellaneous_Adjustment__c:ref:pse__Miscellaneous_Adjustment__c "
        "pse__Invoiced__c:string pse__Is_Released__c:string External_Id__c:extid",
    },
}

# Auto-numbered fields: object -> (field, prefix).
AUTONUMBER = {
    "pse__Assignment__c": ("Name", "AS-"),
    "pse__Resource_Request__c": ("Name", "RR-"),
    "pse__Timecard_Header__c": ("Name", "TC-"),
    "pse__Timecard__c": ("Name", "TS-"),
    "pse__Schedule__c": ("Name", "SCH-"),
    "pse__Expense__c": ("Name", "EX-"),
    "pse__Billing_Event__c": ("Name", "BE-"),
    "pse__Billing_Event_Item__c": ("Name", "BEI-"),
}

# A billing event item bills exactly one business record: category -> the lookup that names it.
ITEM_SOURCES = {
    "Timecard": "pse__Timecard_Split__c",
    "Expense": "pse__Expense__c",
    "Milestone": "pse__Milestone__c",
    "Miscellaneous Adjustment": "pse__Miscellaneous_Adjustment__c",
}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def derive(obj: str, record: dict[str, Any], peek: Any) -> None:
    """Formula fields of the Certinia objects (the Salesforce schema's derive() delegates here)."""
    if obj in ("pse__Timecard_Header__c", "pse__Timecard__c"):
        record["pse__Total_Hours__c"] = round(sum(float(record.get(k) or 0) for k in _DAY_KEYS), 2)
    if obj == "pse__Timecard__c":
        record["pse__Total_Billable_Amount__c"] = (
            round(record["pse__Total_Hours__c"] * float(record.get("pse__Bill_Rate__c") or 0), 2)
            if record.get("pse__Billable__c")
            else 0.0
        )
    elif obj == "pse__Schedule__c":
        start, end = _day(record.get("pse__Start_Date__c")), _day(record.get("pse__End_Date__c"))
        week = [float(record.get(key) or 0) for key in _DAY_KEYS]
        hours = days = 0.0
        if start and end and end >= start:
            whole, rest = divmod((end - start).days + 1, 7)  # whole weeks, then the days left over
            hours, days = sum(week) * whole, sum(1 for h in week if h) * whole
            for n in range(rest):
                worked = week[(start.weekday() + n) % 7]
                hours += worked
                days += 1 if worked else 0
        record["pse__Scheduled_Hours__c"], record["pse__Scheduled_Days__c"] = round(hours, 2), days
    elif obj == "pse__Assignment__c":
        schedule = peek("salesforce", "pse__Schedule__c", record.get("pse__Schedule__c") or "") or {}
        record["pse__Start_Date__c"] = schedule.get("pse__Start_Date__c")
        record["pse__End_Date__c"] = schedule.get("pse__End_Date__c")
        record["pse__Scheduled_Hours__c"] = schedule.get("pse__Scheduled_Hours__c")
    elif obj == "pse__Billing_Event_Item__c":
        event = peek("salesforce", "pse__Billing_Event__c", record.get("pse__Billing_Event__c") or "") or {}
        record["pse__Invoiced__c"] = "Yes" if event.get("pse__Invoiced__c") else "No"
        record["pse__Is_Released__c"] = "Yes" if event.get("pse__Is_Released__c") else "No"
    elif obj == "pse__Miscellaneous_Adjustment__c":
        # Billing Event Invoiced / Released: N/A without an item on an event, else the event's flag.
        item = peek(
            "salesforce", "pse__Billing_Event_Item__c", record.get("pse__Billing_Event_Item__c") or ""
        )
        event = item and peek("salesforce", "pse__Billing_Event__c", item.get("pse__Billing_Event__c") or "")
        for field, flag in (
            ("pse__Billing_Event_Invoiced__c", "pse__Invoiced__c"),
            ("pse__Billing_Event_Released__c", "pse__Is_Released__c"),
        ):
            record[field] = ("Yes" if event.get(flag) else "No") if event else "N/A"


def split_timecard(header: dict[str, Any]) -> list[dict[str, Any]]:
    """The splits of a weekly timecard: one per calendar month it touches (Certinia splits at time period
    boundaries; the sandbox's periods are months). Each carries the hours of its own days."""
    start = _day(header.get("pse__Start_Date__c"))
    if start is None:
        return []
    parts: dict[tuple[int, int], dict[str, Any]] = {}
    for n, day in enumerate(DAYS):
        when = start + timedelta(n)
        part = parts.setdefault(
            (when.year, when.month),
            {f"pse__{d}_Hours__c": 0.0 for d in DAYS} | {"pse__Start_Date__c": when.isoformat()},
        )
        part[f"pse__{day}_Hours__c"] = float(header.get(f"pse__{day}_Hours__c") or 0)
        month_end = date(when.year, when.month, calendar.monthrange(when.year, when.month)[1])
        last = min(start + timedelta(6), month_end)
        part["pse__End_Date__c"] = last.isoformat()
    copied = (
        "pse__Project__c",
        "pse__Resource__c",
        "pse__Assignment__c",
        "pse__Milestone__c",
        "pse__Bill_Rate__c",
        "pse__Approved__c",
        "pse__Billable__c",
    )
    return [
        {**{k: header.get(k) for k in copied}, "pse__Timecard_Header__c": header["Id"], **part}
        for part in parts.values()
    ]
