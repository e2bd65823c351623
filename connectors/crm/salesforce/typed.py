"""Typed per-object actions on the Salesforce REST API: friendly input names mapped to API names, and the
same verbs (list, get, create, update, upsert) for every object. The Salesforce connector types the
quote-to-cash objects (contracts, quotes and their lines; products and price book entries to read);
the Certinia connector types its ``pse__`` objects.

Creates are idempotent: ``create_<object>`` upserts on the connection's external id field
(``PATCH /sobjects/{Object}/{field}/{value}``, REST API Developer Guide, "Insert or Update (Upsert) a
Record Using an External ID"), keyed by the ``external_id`` input, else the external id field given in
``fields``, else the step's idempotency key. A replayed or redelivered create therefore finds the record
the first attempt made instead of making a second one. Salesforce has no idempotency header.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from connectors.base import ActionContext
from connectors.errors import InvalidInput
from connectors.object_actions import Verb

from .client import query_records, strip_attributes
from .records import create_idempotent, get_record, update_record, upsert_record

# friendly name -> (API name, JSON type, title)
FieldMap = dict[str, tuple[str, str, str]]
DEFAULT_EXTERNAL_ID = "External_Id__c"

DATE, STR, NUM, BOOL, ID, INT = "date", "string", "number", "boolean", "id", "integer"


@dataclass(frozen=True)
class SObjectType:
    key: str  # used in action keys: list_quotes, get_quote ...
    plural: str
    label: str
    sobject: str
    fields: FieldMap
    required: tuple[str, ...] = ()  # friendly names required on create
    extra_select: tuple[str, ...] = ()  # read-only fields worth returning (roll-ups, auto numbers)
    writable: bool = True  # False: list and get only (records the org or the package makes)
    parent: str = ""  # friendly id field the list action filters on, e.g. project_id
    upsert: bool = True  # has the external id field, so creates are idempotent and upsert exists

    def to_api(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Friendly input fields plus ``fields`` (raw API names, which win) -> a Salesforce body."""
        body = {api: params[name] for name, (api, _t, _l) in self.fields.items() if name in params}
        body.update(params.get("fields") or {})
        return body

    def select_list(self, *extra: str) -> list[str]:
        names = ["Id", *(api for api, _t, _l in self.fields.values()), *self.extra_select]
        names += [*(e for e in extra if e), "LastModifiedDate"]
        return list(dict.fromkeys(names))


def field_schema(json_type: str, title: str) -> dict[str, Any]:
    if json_type == DATE:
        return {"type": "string", "format": "date", "title": title}
    if json_type == ID:
        return {"type": "string", "title": title, "minLength": 15, "maxLength": 18}
    return {"type": json_type, "title": title}


def external_id_field(ctx: ActionContext) -> str:
    return str(ctx.config.get("external_id_field") or DEFAULT_EXTERNAL_ID)


RECORD_ID = {"type": "string", "title": "Record id", "minLength": 15, "maxLength": 18}
EXTRA_FIELDS = {
    "type": "object",
    "title": "Other fields (API names)",
    "description": 'Any further fields by API name, e.g. {"Description": "..."}',
}
EXTERNAL_ID = {
    "type": ["string", "number"],
    "title": "External id",
    "description": "Value of the connection's external id field; the same value twice is the same record",
    "minLength": 1,
}
WRITE_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "success"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "success": {"type": "boolean"},
        "created": {"type": ["boolean", "null"]},
    },
}
GET_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": RECORD_ID},
}


def record_schema(obj: SObjectType) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A {obj.label.lower()} ({obj.sobject}) with API field names",
        "properties": {"Id": {"type": "string"}, **{api: {} for api, _t, _l in obj.fields.values()}},
    }


def list_input(obj: SObjectType) -> dict[str, Any]:
    props: dict[str, Any] = {
        "where": {"type": "string", "title": "Filter (SOQL condition)", "description": "e.g. Name != null"},
        "max_records": {"type": "integer", "title": "Maximum records", "minimum": 1, "default": 2000},
    }
    if obj.parent:
        props = {obj.parent: field_schema(ID, f"Only for {obj.fields[obj.parent][2].lower()}"), **props}
    return {"type": "object", "additionalProperties": False, "properties": props}


def write_input(obj: SObjectType, *, mode: str) -> dict[str, Any]:
    props: dict[str, Any] = {name: field_schema(t, title) for name, (_api, t, title) in obj.fields.items()}
    required: list[str] = []
    if mode == "create":
        required = list(obj.required)
        if obj.upsert:
            props = {"external_id": {**EXTERNAL_ID, "title": "External id (optional)"}, **props}
    elif mode == "update":
        props = {"id": RECORD_ID, **props}
        required = ["id"]
    elif mode == "upsert":
        props = {"external_id": EXTERNAL_ID, **props}
        required = ["external_id"]
    props["fields"] = EXTRA_FIELDS
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


def list_records(obj: SObjectType, ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    conditions = []
    if obj.parent and params.get(obj.parent):
        parent_id = str(params[obj.parent])
        if not parent_id.isalnum():
            raise InvalidInput(f"{obj.fields[obj.parent][2]} must be a Salesforce id.", hint=obj.parent)
        conditions.append(f"{obj.fields[obj.parent][0]} = '{parent_id}'")
    if params.get("where"):
        conditions.append(f"({params['where']})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    select = ", ".join(obj.select_list(external_id_field(ctx) if obj.upsert else ""))
    # Fixed object and field names, an alphanumeric id, and the user's own SOQL condition.
    soql = f"SELECT {select} FROM {obj.sobject}{where} ORDER BY Id"  # noqa: S608
    records = query_records(ctx, soql, max_records=int(params.get("max_records", 2000)))
    return (strip_attributes(r) for r in records)  # paged in as read


def get(obj: SObjectType, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return get_record(ctx, obj.sobject, params["id"])


def create(obj: SObjectType, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    body = obj.to_api({k: v for k, v in params.items() if k != "external_id"})
    if not obj.upsert:
        return create_idempotent(ctx, obj.sobject, None, body)
    return create_idempotent(ctx, obj.sobject, external_id_field(ctx), body, params.get("external_id"))


def update(obj: SObjectType, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    body = obj.to_api({k: v for k, v in params.items() if k != "id"})
    return update_record(ctx, obj.sobject, params["id"], body)


def upsert(obj: SObjectType, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    body = obj.to_api({k: v for k, v in params.items() if k != "external_id"})
    return upsert_record(ctx, obj.sobject, external_id_field(ctx), str(params["external_id"]), body)


def _writable(obj: SObjectType) -> bool:
    return obj.writable


def _upsertable(obj: SObjectType) -> bool:
    return obj.writable and obj.upsert


# One row per verb; names: key, plural, label, lower, sobject.
VERBS: tuple[Verb[SObjectType], ...] = (
    Verb(
        "list_{plural}",
        "List {lower_plural}",
        "List {lower}s ({sobject}), optionally filtered; follows every page.",
        run=list_records,
        input_schema=list_input,
        output_schema=record_schema,
    ),
    Verb(
        "get_{key}",
        "Get {lower}",
        "Read one {lower} by Salesforce id (all fields).",
        run=get,
        input_schema=lambda obj: GET_INPUT,
        output_schema=record_schema,
    ),
    Verb(
        "create_{key}",
        "Create {lower}",
        "Create a {lower}; replay-safe: keyed by the external id (or the step's idempotency key), a "
        "second run finds the first run's record.",
        run=create,
        input_schema=partial(write_input, mode="create"),
        output_schema=lambda obj: WRITE_RESULT,
        writes=True,
        applies_to=_writable,
    ),
    Verb(
        "update_{key}",
        "Update {lower}",
        "Update fields of a {lower} by id.",
        run=update,
        input_schema=partial(write_input, mode="update"),
        output_schema=lambda obj: WRITE_RESULT,
        writes=True,
        applies_to=_writable,
    ),
    Verb(
        "upsert_{key}",
        "Upsert {lower}",
        "{label}: create or update by the external id field (replay-safe).",
        run=upsert,
        input_schema=partial(write_input, mode="upsert"),
        output_schema=lambda obj: WRITE_RESULT,
        writes=True,
        applies_to=_upsertable,
    ),
)


def names(obj: SObjectType) -> dict[str, str]:
    return {
        "key": obj.key,
        "plural": obj.plural,
        "label": obj.label,
        "lower": obj.label.lower(),
        "lower_plural": obj.plural.replace("_", " "),
        "sobject": obj.sobject,
    }
