"""Certinia PSA objects (the pse__ managed package) as they live in the Salesforce org: field specs in the
Salesforce schema's format, auto-numbered names, and the formula fields Certinia computes.

Resources are not an object of their own: they are Contacts with pse__Is_Resource__c = true (those
fields are in the Contact spec of ../schema.py).
"""

from __future__ import annotations

from typing import Any

OBJECT_SPECS: dict[str, dict[str, str]] = {
    "pse__Proj__c": {
        "prefix": "a1H",
        "required": "Name",
        "fields": "Name:string pse__Account__c:ref:Account pse__Opportunity__c:ref:Opportunity "
        "pse__Project_Manager__c:ref:Contact pse__Start_Date__c:date pse__End_Date__c:date "
        "pse__Stage__c:picklist pse__Is_Active__c:boolean pse__Is_Billable__c:boolean "
        "pse__Billing_Type__c:picklist pse__Project_Type__c:picklist pse__Bookings__c:currency "
        "pse__Planned_Hours__c:double pse__Project_ID__c:string pse__Description__c:textarea "
        "External_Id__c:extid Flowbuilder_Id__c:extid Kantata_Id__c:extid NetSuite_Id__c:extid "
        "OwnerId:ref:User",
    },
    "pse__Milestone__c": {
        "prefix": "a1F",
        "required": "Name pse__Project__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Target_Date__c:date "
        "pse__Actual_Date__c:date pse__Milestone_Amount__c:currency pse__Status__c:picklist "
        "pse__Approved__c:boolean pse__Invoiced__c:boolean pse__Description__c:textarea "
        "External_Id__c:extid",
    },
    "pse__Assignment__c": {
        "prefix": "a0z",
        "required": "pse__Project__c pse__Resource__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Role__c:picklist pse__Bill_Rate__c:currency pse__Cost_Rate_Amount__c:currency "
        "pse__Start_Date__c:date pse__End_Date__c:date pse__Status__c:picklist "
        "pse__Planned_Hours__c:double pse__Is_Billable__c:boolean External_Id__c:extid",
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
        "readonly": "pse__Total_Hours__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Assignment__c:ref:pse__Assignment__c "
        "pse__Resource__c:ref:Contact pse__Milestone__c:ref:pse__Milestone__c pse__Start_Date__c:date "
        "pse__End_Date__c:date pse__Status__c:picklist pse__Approved__c:boolean pse__Billable__c:boolean "
        "pse__Invoiced__c:boolean pse__Monday_Hours__c:double pse__Tuesday_Hours__c:double "
        "pse__Wednesday_Hours__c:double pse__Thursday_Hours__c:double pse__Friday_Hours__c:double "
        "pse__Saturday_Hours__c:double pse__Sunday_Hours__c:double pse__Total_Hours__c:double "
        "pse__Bill_Rate__c:currency "
        "pse__Timecard_Notes__c:textarea External_Id__c:extid Kantata_Id__c:extid",
    },
}

# Auto-numbered Name fields, as Certinia's objects do.
AUTONUMBER = {
    "pse__Assignment__c": "AS-",
    "pse__Resource_Request__c": "RR-",
    "pse__Timecard_Header__c": "TC-",
}


def derive(obj: str, record: dict[str, Any]) -> None:
    """Formula fields of the Certinia objects (the Salesforce schema's derive() delegates here)."""
    if obj == "pse__Timecard_Header__c":
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        record["pse__Total_Hours__c"] = round(
            sum(float(record.get(f"pse__{d}_Hours__c") or 0) for d in days), 2
        )
