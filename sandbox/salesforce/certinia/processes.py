"""What Certinia does by itself after a record is saved: split timecards into timecard splits, keep
assignments in step with their schedules, and carry a billing event's release and invoicing down to
the work it bills (timecard splits, expenses, milestones, miscellaneous adjustments; PSA data dictionary:
pse__Timecard__c, pse__Billing_Event__c, pse__Billing_Event_Item__c, Miscellaneous_Adjustment__c;
https://help.certinia.com/TechnicalReference/2025.3/ProfessionalServicesAutomation/Schema/).

The org (``routes.Org``) gives these functions its records: ``all``, ``peek``, ``save`` (stamps the
modified date, stores, sends the change event) and ``new`` (a new record with id and auto number).
"""

from __future__ import annotations

from typing import Any, Protocol

from .schema import ITEM_SOURCES, OBJECT_SPECS, split_timecard


class Org(Protocol):
    def all(self, obj: str) -> list[dict[str, Any]]: ...
    def peek(self, obj: str, rid: str) -> dict[str, Any] | None: ...
    def save(self, obj: str, record: dict[str, Any]) -> None: ...
    def new(self, obj: str, values: dict[str, Any]) -> dict[str, Any]: ...
    def remove(self, obj: str, rid: str) -> None: ...


def after_commit(org: Org, obj: str, record: dict[str, Any]) -> None:
    if obj == "pse__Timecard_Header__c":
        _resplit(org, record)
    elif obj == "pse__Schedule__c":
        for assignment in org.all("pse__Assignment__c"):
            if assignment.get("pse__Schedule__c") == record["Id"]:
                org.save("pse__Assignment__c", dict(assignment))  # save re-derives its dates
    elif obj == "pse__Billing_Event_Item__c":
        _link_item(org, record)
        _summarise(org, record.get("pse__Billing_Event__c") or "")
    elif obj == "pse__Billing_Event__c":
        _carry_down(org, record)


def _resplit(org: Org, header: dict[str, Any]) -> None:
    """Keep the timecard's splits equal to its days per month; billed splits are left alone."""
    splits = [s for s in org.all("pse__Timecard__c") if s.get("pse__Timecard_Header__c") == header["Id"]]
    existing = {s["pse__Start_Date__c"]: s for s in splits}
    wanted = {s["pse__Start_Date__c"]: s for s in split_timecard(header)}
    for start, values in wanted.items():
        split = existing.pop(start, None)
        if split is None:
            org.new("pse__Timecard__c", values)
        elif not split.get("pse__Billed__c") and any(split.get(k) != v for k, v in values.items()):
            org.save("pse__Timecard__c", {**split, **values})
    for split in existing.values():
        if not split.get("pse__Billed__c"):
            org.remove("pse__Timecard__c", split["Id"])


def _link_item(org: Org, item: dict[str, Any]) -> None:
    """The billed record points back at its billing event item (splits and expenses carry the lookup)."""
    for category, lookup in ITEM_SOURCES.items():
        rid = item.get(lookup)
        if item.get("pse__Category__c") != category or not rid:
            continue
        obj = {"pse__Timecard_Split__c": "pse__Timecard__c"}.get(lookup, lookup)
        source = org.peek(obj, rid)
        if (
            source is not None
            and "pse__Billing_Event_Item__c" in OBJECT_SPECS[obj]["fields"]
            and source.get("pse__Billing_Event_Item__c") != item["Id"]
        ):
            org.save(obj, {**source, "pse__Billing_Event_Item__c": item["Id"]})


def _items(org: Org, event_id: str) -> list[dict[str, Any]]:
    return [i for i in org.all("pse__Billing_Event_Item__c") if i.get("pse__Billing_Event__c") == event_id]


def _summarise(org: Org, event_id: str) -> None:
    event = org.peek("pse__Billing_Event__c", event_id)
    if event is None:
        return
    total = round(sum(float(i.get("pse__Amount__c") or 0) for i in _items(org, event_id)), 2)
    if event.get("pse__Summary_Amount__c") != total:
        org.save("pse__Billing_Event__c", {**event, "pse__Summary_Amount__c": total})


def _carry_down(org: Org, event: dict[str, Any]) -> None:
    """Released: the billed records are Billed. Invoiced: they are Invoiced (and so are timecards whose
    splits all are). Items show both as their Yes/No formulas."""
    released, invoiced = bool(event.get("pse__Is_Released__c")), bool(event.get("pse__Invoiced__c"))
    headers: set[str] = set()
    for item in _items(org, event["Id"]):
        org.save("pse__Billing_Event_Item__c", dict(item))  # re-derives the Yes/No formulas
        for category, lookup in ITEM_SOURCES.items():
            rid = item.get(lookup)
            if item.get("pse__Category__c") != category or not rid:
                continue
            obj = {"pse__Timecard_Split__c": "pse__Timecard__c"}.get(lookup, lookup)
            source = org.peek(obj, rid)
            if source is None:
                continue
            flags = {"pse__Billed__c": released}
            fields = OBJECT_SPECS[obj]["fields"]
            if "pse__Invoiced__c:" in fields:  # an adjustment has none: its formulas show the event's
                flags["pse__Invoiced__c"] = invoiced
            formulas = "pse__Billing_Event_Invoiced__c:" in fields  # re-derived on save
            if formulas or any(source.get(k) != v for k, v in flags.items()):
                org.save(obj, {**source, **flags})
            if obj == "pse__Timecard__c" and source.get("pse__Timecard_Header__c"):
                headers.add(source["pse__Timecard_Header__c"])
    for hid in headers:
        header = org.peek("pse__Timecard_Header__c", hid)
        splits = [s for s in org.all("pse__Timecard__c") if s.get("pse__Timecard_Header__c") == hid]
        if header is None or not splits:
            continue
        flags = {
            "pse__Billed__c": all(s.get("pse__Billed__c") for s in splits),
            "pse__Invoiced__c": all(s.get("pse__Invoiced__c") for s in splits),
        }
        if any(header.get(k) != v for k, v in flags.items()):
            org.save("pse__Timecard_Header__c", {**header, **flags})
