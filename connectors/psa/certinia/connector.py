"""Certinia PSA (formerly FinancialForce PSA) on the Salesforce API: typed list/get/create/update/upsert
actions for projects, milestones, schedules, assignments, resource requests, timecards (and their splits,
read only), expense reports and expenses, miscellaneous adjustments (write-ups and write-downs), rate cards,
billing events and billing event items, plus a trigger on changed PSA records. All HTTP, auth, paging, error
mapping and the idempotent creates are the Salesforce connector's code. Node ids: ``psa.certinia.<action>``
(e.g. ``psa.certinia.create_project``).

Billing follows Certinia's process: a billing event per invoice with an item per billed record (timecard
split, expense, milestone, miscellaneous adjustment), released, then invoiced with the invoice number;
Certinia marks the work Billed and Invoiced itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import Action, ActionContext, ApiUsage, Connector, PollResult, Trigger
from connectors.crm.salesforce import typed
from connectors.crm.salesforce.client import (
    DEFAULT_API_VERSION,
    api_usage,
    probe,
)
from connectors.crm.salesforce.connector import SalesforceConnector
from connectors.crm.salesforce.polling import poll_updated, record_versions
from connectors.crm.salesforce.typed import DEFAULT_EXTERNAL_ID
from connectors.http.client import SafeResponse
from connectors.http.ratelimit import RateLimit
from connectors.object_actions import object_actions

from . import billing, canonical
from .objects import OBJECTS

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["base_url"],
    "additionalProperties": False,
    "properties": {
        "base_url": {
            "type": "string",
            "title": "Instance URL",
            "format": "uri",
            "pattern": "^https?://",
            "description": "The Salesforce org's My Domain URL, e.g. https://acme.my.salesforce.com",
        },
        "api_version": {
            "type": "string",
            "title": "API version",
            "pattern": "^v?[0-9]{2}\\.0$",
            "default": DEFAULT_API_VERSION,
        },
        "external_id_field": {
            "type": "string",
            "title": "External id field on PSA objects",
            "description": "An External ID (Unique) text field you added to the pse__ objects: upserts and "
            "creates key on it, so a replayed create finds the record instead of making a second one",
            "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
            "default": DEFAULT_EXTERNAL_ID,
        },
    },
}


TRIGGER_CONFIG: dict[str, Any] = {
    "type": "object",
    "required": ["object"],
    "additionalProperties": False,
    "properties": {
        "object": {"type": "string", "title": "PSA object", "enum": sorted(OBJECTS), "default": "project"},
        "where": {"type": "string", "title": "Extra SOQL condition"},
        "since": {"type": "string", "title": "Start from (ISO date-time)"},
        "max_records": {"type": "integer", "title": "Maximum records per poll", "minimum": 1, "default": 500},
    },
}


def poll_psa_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    obj = OBJECTS[str(config["object"])]
    return poll_updated(
        ctx,
        sobject=obj.sobject,
        fields=obj.select_list(),
        where=str(config.get("where") or ""),
        cursor=cursor,
        since=config.get("since") or None,
        max_records=int(config.get("max_records", 500)),
    )


class CertiniaConnector(Connector):
    key = "certinia"
    name = "Certinia PSA"
    category = "PSA"
    icon = "certinia"
    version = "1.0.0"
    description = (
        "Certinia PSA projects, milestones, schedules and assignments, timecards, expenses, rate cards, "
        "billing events and their items."
    )
    docs = "connectors/psa/certinia/README.md"
    credential_types = SalesforceConnector.credential_types
    config_schema = CONFIG_SCHEMA
    rate_limit = RateLimit(rate=20.0, burst=40, max_concurrency=10)
    canonical_mappings = canonical.MAPPINGS
    actions = (
        *object_actions(
            OBJECTS.values(), typed.VERBS, names=typed.names, record_object=lambda obj: obj.sobject
        ),
        Action(
            key="create_invoiced_billing_event",
            name="Invoice work (billing event)",
            description="Bill a timecard (through its splits), milestone or expense the way Certinia does: "
            "a billing event with its items, released, then invoiced; Certinia marks the work Invoiced. "
            "Replay-safe.",
            run=billing.invoice_work,
            input_schema=billing.INPUT,
            output_schema=billing.OUTPUT,
            writes=True,
        ),
        Action(
            key="invoice_billing_event",
            name="Invoice (billing event per invoice)",
            description="Bill one invoice the way Certinia does: one billing event (BE-<key>) with an item "
            "per timecard split, expense, milestone and miscellaneous adjustment (write-up or write-down), "
            "released, then invoiced with the financial "
            "system's invoice number and date; Certinia marks the work Invoiced. Replay-safe.",
            run=billing.invoice_billing_event,
            input_schema=billing.INVOICE_INPUT,
            output_schema=billing.OUTPUT,
            writes=True,
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="PSA record created or updated",
            description="Poll for PSA records (projects, milestones, timecards, expenses, billing events "
            "...) changed since the last poll (no gaps, no duplicates).",
            poll=poll_psa_updated,
            config_schema=TRIGGER_CONFIG,
            output_schema={"type": "object", "properties": {"Id": {"type": "string"}}},
        ),
    )

    def record_versions(self, ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
        return record_versions(ctx, obj, ids)  # a Salesforce org: the same LastModifiedDate

    def probe(self, ctx: ActionContext) -> str:
        return probe(ctx)

    def api_usage(self, response: SafeResponse) -> ApiUsage | None:
        return api_usage(response)  # the org's Salesforce API allowance
