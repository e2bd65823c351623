"""What a person does to Salesforce records from the sandbox pages: move an opportunity to another stage
(Closed Won starts the quote-to-project flows) and approve a Certinia timecard (project to billing).
Both go through the org's own REST API, so the change is stamped and polled like any other."""

from __future__ import annotations

from typing import Any

from ..platform.actions import ActionField, PageAction, api_error
from ..platform.system import System
from .seed import STAGES_OPEN

API = "/services/data/v60.0/sobjects"
CLOSED_WON = "Closed Won"
STAGES = (*STAGES_OPEN, CLOSED_WON, "Closed Lost")


def set_stage(system: System, record: dict[str, Any], values: dict[str, str]) -> str:
    status, payload = system.call(
        "PATCH", f"{API}/Opportunity/{record['Id']}", {"StageName": values["stage"]}
    )
    if status != 204:
        raise api_error(status, payload)
    return f"Opportunity {record.get('Name')} is now {values['stage']}"


def approve_timecard(system: System, record: dict[str, Any], values: dict[str, str]) -> str:
    body = {"pse__Status__c": "Approved", "pse__Approved__c": True}
    status, payload = system.call("PATCH", f"{API}/pse__Timecard_Header__c/{record['Id']}", body)
    if status != 204:
        raise api_error(status, payload)
    return f"Timecard {record.get('Name') or record['Id']} approved"


ACTIONS = (
    PageAction(
        key="set_stage",
        object="Opportunity",
        label="Set stage",
        run=set_stage,
        fields=(ActionField("stage", "Stage", kind="select", choices=STAGES, default=CLOSED_WON),),
        description="Closed Won starts the customer's quote-to-project flow (when the opportunity "
        "matches its filter).",
    ),
    PageAction(
        key="approve_timecard",
        object="pse__Timecard_Header__c",
        label="Approve timecard",
        run=approve_timecard,
        applies=lambda r: not r.get("pse__Approved__c"),
    ),
)
