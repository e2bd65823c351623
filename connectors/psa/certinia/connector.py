"""Certinia PSA (formerly FinancialForce PSA) on the Salesforce API: typed list/get/create/update/upsert
actions for projects, milestones, assignments, resource requests and timecards, plus a trigger on
changed PSA records. All HTTP, auth, paging and error mapping is the Salesforce connector's code.
Node ids: ``psa.certinia.<action>`` (e.g. ``psa.certinia.upsert_project``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from connectors.base import ActionContext, Connector, PollResult, Trigger
from connectors.crm.salesforce.client import DEFAULT_API_VERSION, probe, query_records, strip_attributes
from connectors.crm.salesforce.connector import SalesforceConnector
from connectors.crm.salesforce.polling import poll_updated, record_versions
from connectors.crm.salesforce.records import create_record, get_record, update_record, upsert_record
from connectors.errors import InvalidInput
from connectors.http.ratelimit import RateLimit
from connectors.object_actions import Verb, object_actions

from . import canonical
from .objects import OBJECTS, PsaObject, field_schema

DEFAULT_EXTERNAL_ID = "External_Id__c"

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
            "description": "An External ID text field you added to the pse__ objects (used by upserts)",
            "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
            "default": DEFAULT_EXTERNAL_ID,
        },
    },
}
RECORD_ID = {"type": "string", "title": "Record id", "minLength": 15, "maxLength": 18}
EXTRA_FIELDS = {
    "type": "object",
    "title": "Other fields (API names)",
    "description": 'Any further fields by API name, e.g. {"pse__Region__c": "a1B..."}',
}


def _ext_field(ctx: ActionContext) -> str:
    return str(ctx.config.get("external_id_field") or DEFAULT_EXTERNAL_ID)


def _typed_properties(obj: PsaObject) -> dict[str, Any]:
    return {name: field_schema(t, title) for name, (_api, t, title) in obj.fields.items()}


def _record_schema(obj: PsaObject) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A {obj.label.lower()} ({obj.sobject}) with API field names",
        "properties": {"Id": {"type": "string"}, **{api: {} for api, _t, _l in obj.fields.values()}},
    }


def _list_input(obj: PsaObject) -> dict[str, Any]:
    props: dict[str, Any] = {
        "where": {
            "type": "string",
            "title": "Filter (SOQL condition)",
            "description": "e.g. pse__Is_Active__c = true",
        },
        "max_records": {"type": "integer", "title": "Maximum records", "minimum": 1, "default": 2000},
    }
    if "project_id" in obj.fields:
        props = {"project_id": field_schema("id", "Only for project (id)"), **props}
    return {"type": "object", "additionalProperties": False, "properties": props}


def _write_input(obj: PsaObject, *, mode: str) -> dict[str, Any]:
    props = _typed_properties(obj)
    required: list[str] = []
    if mode == "create":
        required = list(obj.required)
    elif mode == "update":
        props = {"id": RECORD_ID, **props}
        required = ["id"]
    elif mode == "upsert":
        props = {
            "external_id": {
                "type": ["string", "number"],
                "title": "External id",
                "description": "Value of the connection's external id field; same value twice = same record",
                "minLength": 1,
            },
            **props,
        }
        required = ["external_id"]
    props["fields"] = EXTRA_FIELDS
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


def list_records(obj: PsaObject, ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    conditions = []
    if params.get("project_id"):
        pid = str(params["project_id"])
        if not pid.isalnum():
            raise InvalidInput("Project id must be a Salesforce id.")
        conditions.append(f"pse__Project__c = '{pid}'")
    if params.get("where"):
        conditions.append(f"({params['where']})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    select = ", ".join(obj.select_list(_ext_field(ctx)))
    # Fixed object and field names, an alphanumeric id, and the user's own SOQL condition.
    soql = f"SELECT {select} FROM {obj.sobject}{where} ORDER BY Id"  # noqa: S608
    records = query_records(ctx, soql, max_records=int(params.get("max_records", 2000)))
    return [strip_attributes(r) for r in records]


def get(obj: PsaObject, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return get_record(ctx, obj.sobject, params["id"])


def create(obj: PsaObject, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return create_record(ctx, obj.sobject, obj.to_api(dict(params)))


def update(obj: PsaObject, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    body = obj.to_api({k: v for k, v in params.items() if k != "id"})
    return update_record(ctx, obj.sobject, params["id"], body)


def upsert(obj: PsaObject, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    body = obj.to_api({k: v for k, v in params.items() if k != "external_id"})
    return upsert_record(ctx, obj.sobject, _ext_field(ctx), str(params["external_id"]), body)


WRITE_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "success"],
    "properties": {"id": {"type": ["string", "null"]}, "success": {"type": "boolean"}, "created": {}},
}
GET_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": RECORD_ID},
}


def _write_result(obj: PsaObject) -> dict[str, Any]:
    return WRITE_RESULT


# One row per verb; every PSA object gets each (names: key, plural, label, lower, sobject).
VERBS: tuple[Verb[PsaObject], ...] = (
    Verb(
        "list_{plural}",
        "List {lower}s",
        "List {lower}s ({sobject}), optionally filtered; follows every page.",
        run=list_records,
        input_schema=_list_input,
        output_schema=_record_schema,
    ),
    Verb(
        "get_{key}",
        "Get {lower}",
        "Read one {lower} by Salesforce id (all fields).",
        run=get,
        input_schema=lambda obj: GET_INPUT,
        output_schema=_record_schema,
    ),
    Verb(
        "create_{key}",
        "Create {lower}",
        "Create a {lower}. Prefer Upsert {lower} when you have an external id.",
        run=create,
        input_schema=partial(_write_input, mode="create"),
        output_schema=_write_result,
        writes=True,
    ),
    Verb(
        "update_{key}",
        "Update {lower}",
        "Update fields of a {lower} by id.",
        run=update,
        input_schema=partial(_write_input, mode="update"),
        output_schema=_write_result,
        writes=True,
    ),
    Verb(
        "upsert_{key}",
        "Upsert {lower}",
        "{label}: create or update by the external id field (replay-safe).",
        run=upsert,
        input_schema=partial(_write_input, mode="upsert"),
        output_schema=_write_result,
        writes=True,
    ),
)


def _names(obj: PsaObject) -> dict[str, str]:
    return {
        "key": obj.key,
        "plural": obj.plural,
        "label": obj.label,
        "lower": obj.label.lower(),
        "sobject": obj.sobject,
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
    description = "Certinia PSA projects, milestones, assignments, resource requests and timecards."
    docs = "connectors/psa/certinia/README.md"
    credential_types = SalesforceConnector.credential_types
    config_schema = CONFIG_SCHEMA
    rate_limit = RateLimit(rate=20.0, burst=40, max_concurrency=10)
    canonical_mappings = canonical.MAPPINGS
    actions = object_actions(OBJECTS.values(), VERBS, names=_names, record_object=lambda obj: obj.sobject)
    triggers = (
        Trigger(
            key="record_updated",
            name="PSA record created or updated",
            description="Poll for projects, milestones, assignments, resource requests or timecards "
            "changed since the last poll (no gaps, no duplicates).",
            poll=poll_psa_updated,
            config_schema=TRIGGER_CONFIG,
            output_schema={"type": "object", "properties": {"Id": {"type": "string"}}},
        ),
    )

    def record_versions(self, ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
        return record_versions(ctx, obj, ids)  # a Salesforce org: the same LastModifiedDate

    def probe(self, ctx: ActionContext) -> str:
        return probe(ctx)
