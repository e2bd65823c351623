"""The Certinia (PSA) objects this connector types: friendly input names mapped to ``pse__`` API names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# friendly name -> (API name, JSON type, title)
FieldMap = dict[str, tuple[str, str, str]]


@dataclass(frozen=True)
class PsaObject:
    key: str  # used in action keys: list_projects, get_project ...
    plural: str
    label: str
    sobject: str
    fields: FieldMap
    required: tuple[str, ...]  # friendly names required on create
    extra_select: tuple[str, ...] = ()  # read-only fields worth returning (roll-ups, auto numbers)

    def to_api(self, params: dict[str, Any]) -> dict[str, Any]:
        """Friendly input fields plus ``fields`` (raw API names, which win) -> a Salesforce body."""
        body = {api: params[name] for name, (api, _t, _l) in self.fields.items() if name in params}
        body.update(params.get("fields") or {})
        return body

    def select_list(self, *extra: str) -> list[str]:
        names = ["Id", "Name", *(api for api, _t, _l in self.fields.values()), *self.extra_select]
        names += [*(e for e in extra if e), "LastModifiedDate"]
        return list(dict.fromkeys(names))


_DATE = "date"
_STR = "string"
_NUM = "number"
_BOOL = "boolean"
_ID = "id"

OBJECTS: dict[str, PsaObject] = {
    o.key: o
    for o in (
        PsaObject(
            "project",
            "projects",
            "Project",
            "pse__Proj__c",
            {
                "name": ("Name", _STR, "Name"),
                "account_id": ("pse__Account__c", _ID, "Account id"),
                "opportunity_id": ("pse__Opportunity__c", _ID, "Opportunity id"),
                "project_manager_id": ("pse__Project_Manager__c", _ID, "Project manager (contact id)"),
                "start_date": ("pse__Start_Date__c", _DATE, "Start date"),
                "end_date": ("pse__End_Date__c", _DATE, "End date"),
                "stage": ("pse__Stage__c", _STR, "Stage"),
                "is_active": ("pse__Is_Active__c", _BOOL, "Active"),
                "is_billable": ("pse__Is_Billable__c", _BOOL, "Billable"),
                "billing_type": ("pse__Billing_Type__c", _STR, "Billing type"),
                "planned_hours": ("pse__Planned_Hours__c", _NUM, "Planned hours"),
                "description": ("pse__Description__c", _STR, "Description"),
            },
            ("name",),
        ),
        PsaObject(
            "milestone",
            "milestones",
            "Milestone",
            "pse__Milestone__c",
            {
                "name": ("Name", _STR, "Name"),
                "project_id": ("pse__Project__c", _ID, "Project id"),
                "target_date": ("pse__Target_Date__c", _DATE, "Target date"),
                "actual_date": ("pse__Actual_Date__c", _DATE, "Actual date"),
                "amount": ("pse__Milestone_Amount__c", _NUM, "Amount"),
                "status": ("pse__Status__c", _STR, "Status"),
                "approved": ("pse__Approved__c", _BOOL, "Approved"),
                "invoiced": ("pse__Invoiced__c", _BOOL, "Invoiced"),
                "description": ("pse__Description__c", _STR, "Description"),
            },
            ("name", "project_id"),
        ),
        PsaObject(
            "assignment",
            "assignments",
            "Assignment",
            "pse__Assignment__c",
            {
                "project_id": ("pse__Project__c", _ID, "Project id"),
                "resource_id": ("pse__Resource__c", _ID, "Resource (contact id)"),
                "role": ("pse__Role__c", _STR, "Role"),
                "bill_rate": ("pse__Bill_Rate__c", _NUM, "Bill rate"),
                "cost_rate": ("pse__Cost_Rate_Amount__c", _NUM, "Cost rate"),
                "start_date": ("pse__Start_Date__c", _DATE, "Start date"),
                "end_date": ("pse__End_Date__c", _DATE, "End date"),
                "status": ("pse__Status__c", _STR, "Status"),
                "planned_hours": ("pse__Planned_Hours__c", _NUM, "Planned hours"),
                "is_billable": ("pse__Is_Billable__c", _BOOL, "Billable"),
            },
            ("project_id", "resource_id"),
        ),
        PsaObject(
            "resource_request",
            "resource_requests",
            "Resource request",
            "pse__Resource_Request__c",
            {
                "project_id": ("pse__Project__c", _ID, "Project id"),
                "resource_role": ("pse__Resource_Role__c", _STR, "Resource role"),
                "start_date": ("pse__Start_Date__c", _DATE, "Start date"),
                "end_date": ("pse__End_Date__c", _DATE, "End date"),
                "sow_hours": ("pse__SOW_Hours__c", _NUM, "SOW hours"),
                "status": ("pse__Status__c", _STR, "Status"),
                "staffer_resource_id": ("pse__Staffer_Resource__c", _ID, "Staffed resource (contact id)"),
                "assignment_id": ("pse__Assignment__c", _ID, "Assignment id"),
                "notes": ("pse__Notes__c", _STR, "Notes"),
            },
            ("project_id",),
        ),
        PsaObject(
            "timecard",
            "timecards",
            "Timecard",
            "pse__Timecard_Header__c",
            {
                "project_id": ("pse__Project__c", _ID, "Project id"),
                "assignment_id": ("pse__Assignment__c", _ID, "Assignment id"),
                "resource_id": ("pse__Resource__c", _ID, "Resource (contact id)"),
                "milestone_id": ("pse__Milestone__c", _ID, "Milestone id"),
                "start_date": ("pse__Start_Date__c", _DATE, "Week start date"),
                "end_date": ("pse__End_Date__c", _DATE, "Week end date"),
                "status": ("pse__Status__c", _STR, "Status"),
                "approved": ("pse__Approved__c", _BOOL, "Approved"),
                "billable": ("pse__Billable__c", _BOOL, "Billable"),
                "invoiced": ("pse__Invoiced__c", _BOOL, "Invoiced"),
                **{
                    f"{day.lower()}_hours": (f"pse__{day}_Hours__c", _NUM, f"{day} hours")
                    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
                },
                "bill_rate": ("pse__Bill_Rate__c", _NUM, "Bill rate"),
                "notes": ("pse__Timecard_Notes__c", _STR, "Notes"),
            },
            ("project_id", "resource_id", "start_date"),
            ("pse__Total_Hours__c",),
        ),
    )
}


def field_schema(json_type: str, title: str) -> dict[str, Any]:
    if json_type == _DATE:
        return {"type": "string", "format": "date", "title": title}
    if json_type == _ID:
        return {"type": "string", "title": title, "minLength": 15, "maxLength": 18}
    return {"type": json_type, "title": title}
