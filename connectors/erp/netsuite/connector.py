"""NetSuite (REST web services): records (customer, job, invoice, customer payment) and SuiteQL.
Node ids: ``erp.netsuite.<action>`` (e.g. ``erp.netsuite.upsert_record``, ``erp.netsuite.suiteql``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    Action,
    ActionContext,
    Connector,
    PollResult,
    Trigger,
    object_schema,
)
from connectors.errors import NotFound
from connectors.http.ratelimit import RateLimit
from connectors.polling import Position, collect, parse_timestamp

from . import canonical, client

RECORD_TYPE = {
    "type": "string",
    "title": "Record type",
    "enum": list(client.RECORD_TYPES),
    "default": "customer",
}
INTERNAL_ID = {"type": ["string", "integer"], "title": "Internal id", "pattern": "^[0-9]+$"}
EXTERNAL_ID = {"type": ["string", "number"], "title": "External id", "minLength": 1}
FIELDS = {
    "type": "object",
    "title": "Fields",
    "description": 'Record fields as NetSuite names them; references as {"id": "12"} or '
    '{"externalId": "X"}, sublists as {"items": [...]}',
}
RECORD_OUT = {"type": "object", "properties": {"id": {"type": "string"}}}
WRITE_OUT = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "record_type": {"type": "string"}},
}
RETURN_RECORD = {"type": "boolean", "title": "Read the saved record back", "default": True}


def _result(ctx: ActionContext, rtype: str, rid: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if params.get("return_record", True):
        return {**client.get_record(ctx, rtype, rid), "id": rid, "record_type": rtype}
    return {"id": rid, "record_type": rtype}


def run_create(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    response = client.request(ctx, "POST", client.record_path(rtype), json=dict(params["fields"]))
    rid = client.id_from_location(response.headers.get("Location", ""))
    return _result(ctx, rtype, rid, params)


def run_get(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    key = client.record_key(params.get("id"), params.get("external_id"))
    return client.get_record(
        ctx, rtype, key, expand=bool(params.get("expand_sublists", True)), fields=params.get("fields")
    )


def run_update(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    key = client.record_key(params.get("id"), params.get("external_id"))
    client.request(ctx, "PATCH", client.record_path(rtype, key), json=dict(params["fields"]))
    rid = key if key.isdigit() else str(client.get_record(ctx, rtype, key, expand=False)["id"])
    return _result(ctx, rtype, rid, params)


def run_upsert(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT .../{type}/eid:{externalId}``: creates or updates; the same external id twice is one record."""
    rtype = client.record_type(params["record_type"])
    key = client.record_key(None, params["external_id"])
    body = {k: v for k, v in dict(params["fields"]).items() if k != "externalId"}
    response = client.request(ctx, "PUT", client.record_path(rtype, key), json=body)
    location = response.headers.get("Location", "")
    if location:
        rid = client.id_from_location(location)
    else:
        rid = str(client.get_record(ctx, rtype, key, expand=False)["id"])
    return _result(ctx, rtype, rid, params)


def run_delete(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    key = client.record_key(params.get("id"), params.get("external_id"))
    try:
        client.request(ctx, "DELETE", client.record_path(rtype, key))
    except NotFound:
        if not params.get("ignore_missing"):
            raise
        return {"id": key, "record_type": rtype, "deleted": False}
    return {"id": key, "record_type": rtype, "deleted": True}


def run_list(ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    rtype = client.record_type(params["record_type"])
    ids = client.list_ids(
        ctx,
        rtype,
        q=str(params.get("q") or ""),
        max_records=int(params.get("max_records", 1000)),
        page_size=int(params.get("page_size", client.MAX_LIMIT)),
    )
    if not params.get("read_records", False):
        return [{"id": rid, "record_type": rtype} for rid in ids]
    out = []
    for rid in ids:
        out.append({**client.get_record(ctx, rtype, rid), "record_type": rtype})
        ctx.heartbeat()
    return out


def run_suiteql(ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(
        client.suiteql(
            ctx,
            str(params["query"]),
            max_records=int(params.get("max_records", 5000)),
            page_size=int(params.get("page_size", client.MAX_LIMIT)),
        )
    )


# --- polling ---------------------------------------------------------------------------------------

# record type -> (SuiteQL table, extra condition)
_TABLES = {
    "customer": ("customer", ""),
    "job": ("job", ""),
    "invoice": ("transaction", " AND type = 'CustInvc'"),
    "customerpayment": ("transaction", " AND type = 'CustPymt'"),
}


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    """SuiteQL on ``lastmodifieddate`` (to the second), then each changed record read in full; the
    ``{"ts": "YYYY-MM-DD HH:MM:SS", "ids"}`` cursor moves as ``connectors.polling`` describes."""
    rtype = client.record_type(config["record_type"])
    table, extra = _TABLES[rtype]
    max_records = int(config.get("max_records", 200))
    if not cursor:
        since = config.get("since")
        begin = _parse(since) if since else datetime.now(UTC).replace(microsecond=0)
        cursor = {"ts": _format(begin), "ids": []}
    start = Position.load(cursor, _parse)
    # A fixed table name and a timestamp we formatted ourselves.
    since_sql = f"TO_TIMESTAMP('{_format(start.ts)}', 'YYYY-MM-DD HH24:MI:SS')"
    columns = "id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified"
    order = "ORDER BY lastmodifieddate, id"
    query = f"SELECT {columns} FROM {table} WHERE lastmodifieddate >= {since_sql}{extra} {order}"  # noqa: S608

    def read(row: Mapping[str, Any]) -> dict[str, Any]:
        rid = str(row["id"])
        record = {**client.get_record(ctx, rtype, rid), "id": rid, "record_type": rtype}
        ctx.heartbeat()
        return record

    return collect(
        client.suiteql(ctx, query, max_records=max_records + len(start.ids)),
        start,
        limit=max_records,
        timestamp=lambda row: _parse(str(row["modified"])),
        record_id=lambda row: str(row["id"]),
        item=read,
        fmt=_format,
        object_name=rtype,
    )


def _parse(value: str) -> datetime:
    """NetSuite's last-modified times are to the second."""
    return parse_timestamp(value).replace(microsecond=0)


def _format(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


# --- declaration -----------------------------------------------------------------------------------


class NetSuiteConnector(Connector):
    key = "netsuite"
    name = "NetSuite"
    category = "ERP"
    icon = "netsuite"
    version = "1.0.0"
    description = "NetSuite REST record API (customers, projects, invoices, payments) and SuiteQL."
    docs = "connectors/erp/netsuite/README.md"
    credential_types = (OAUTH2_CLIENT_CREDENTIALS, OAUTH2_REFRESH_TOKEN, BEARER)
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["account_id"]}, {"required": ["base_url"]}],
        "properties": {
            "account_id": {
                "type": "string",
                "title": "Account id",
                "description": "e.g. 1234567 or 1234567_SB1 (the REST host is derived from it)",
                "pattern": "^[A-Za-z0-9_-]+$",
            },
            "base_url": {
                "type": "string",
                "title": "REST base URL (overrides the account id)",
                "format": "uri",
                "pattern": "^https?://",
            },
        },
    }
    # NetSuite refuses requests over the account's concurrency limit (5 for a standard account, +10
    # per SuiteCloud Plus licence) with 429. Queue locally instead: at most 4 in flight per connection.
    rate_limit = RateLimit(rate=10.0, burst=10, max_concurrency=4)
    canonical_mappings = canonical.MAPPINGS
    actions = (
        Action(
            key="create_record",
            name="Create record",
            description="Create a record (204 + Location; the new id is read from it). Not replay-safe: "
            "prefer Upsert by external id.",
            run=run_create,
            input_schema=object_schema(
                ["record_type", "fields"], record_type=RECORD_TYPE, fields=FIELDS, return_record=RETURN_RECORD
            ),
            output_schema=WRITE_OUT,
            writes=True,
        ),
        Action(
            key="get_record",
            name="Get record",
            description="Read a record by internal id or external id, sublists expanded.",
            run=run_get,
            input_schema={
                **object_schema(
                    ["record_type"],
                    record_type=RECORD_TYPE,
                    id=INTERNAL_ID,
                    external_id=EXTERNAL_ID,
                    expand_sublists={"type": "boolean", "title": "Expand sublists", "default": True},
                    fields={"type": "array", "title": "Only these fields", "items": {"type": "string"}},
                ),
                "anyOf": [{"required": ["id"]}, {"required": ["external_id"]}],
            },
            output_schema=RECORD_OUT,
        ),
        Action(
            key="update_record",
            name="Update record",
            description="Change fields of a record (PATCH); only the given fields change.",
            run=run_update,
            input_schema={
                **object_schema(
                    ["record_type", "fields"],
                    record_type=RECORD_TYPE,
                    id=INTERNAL_ID,
                    external_id=EXTERNAL_ID,
                    fields=FIELDS,
                    return_record=RETURN_RECORD,
                ),
                "anyOf": [{"required": ["id"]}, {"required": ["external_id"]}],
            },
            output_schema=WRITE_OUT,
            writes=True,
        ),
        Action(
            key="upsert_record",
            name="Upsert by external id",
            description="Create or update the record with this external id (PUT eid:...); replay-safe.",
            run=run_upsert,
            input_schema=object_schema(
                ["record_type", "external_id", "fields"],
                record_type=RECORD_TYPE,
                external_id=EXTERNAL_ID,
                fields=FIELDS,
                return_record=RETURN_RECORD,
            ),
            output_schema=WRITE_OUT,
            writes=True,
        ),
        Action(
            key="delete_record",
            name="Delete record",
            description="Delete a record by internal id or external id.",
            run=run_delete,
            input_schema={
                **object_schema(
                    ["record_type"],
                    record_type=RECORD_TYPE,
                    id=INTERNAL_ID,
                    external_id=EXTERNAL_ID,
                    ignore_missing={
                        "type": "boolean",
                        "title": "Succeed if already deleted",
                        "default": False,
                    },
                ),
                "anyOf": [{"required": ["id"]}, {"required": ["external_id"]}],
            },
            output_schema=WRITE_OUT,
            writes=True,
        ),
        Action(
            key="list_records",
            name="List records",
            description="List record ids (optionally read each record), filtered with the record API's q.",
            run=run_list,
            input_schema=object_schema(
                ["record_type"],
                record_type=RECORD_TYPE,
                q={
                    "type": "string",
                    "title": "Filter (q)",
                    "description": 'e.g. companyName START_WITH "Acme" AND isInactive IS false',
                },
                read_records={"type": "boolean", "title": "Read every record in full", "default": False},
                max_records={"type": "integer", "title": "Maximum records", "minimum": 1, "default": 1000},
                page_size={
                    "type": "integer",
                    "title": "Page size",
                    "minimum": 1,
                    "maximum": 1000,
                    "default": 1000,
                },
            ),
            output_schema=RECORD_OUT,
        ),
        Action(
            key="suiteql",
            name="SuiteQL query",
            description="Run a SuiteQL query (Prefer: transient) and return one item per row, all pages.",
            run=run_suiteql,
            input_schema=object_schema(
                ["query"],
                query={
                    "type": "string",
                    "title": "SuiteQL",
                    "minLength": 1,
                    "description": "e.g. SELECT id, companyname FROM customer WHERE isinactive = 'F'",
                    "x-widget": "code",
                },
                max_records={"type": "integer", "title": "Maximum rows", "minimum": 1, "default": 5000},
                page_size={
                    "type": "integer",
                    "title": "Page size",
                    "minimum": 1,
                    "maximum": 1000,
                    "default": 1000,
                },
            ),
            output_schema={"type": "object"},
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll SuiteQL for records whose last-modified time moved since the last poll.",
            poll=poll_record_updated,
            config_schema=object_schema(
                ["record_type"],
                record_type=RECORD_TYPE,
                since={"type": "string", "title": "Start from (ISO date-time)"},
                max_records={
                    "type": "integer",
                    "title": "Maximum records per poll",
                    "minimum": 1,
                    "default": 200,
                },
            ),
            output_schema=RECORD_OUT,
        ),
    )

    def base_url(self, config: Mapping[str, Any]) -> str:
        if config.get("base_url"):
            return str(config["base_url"]).rstrip("/")
        account = str(config["account_id"]).lower().replace("_", "-")
        return f"https://{account}.suitetalk.api.netsuite.com"

    def probe(self, ctx: ActionContext) -> str:
        list(client.suiteql(ctx, "SELECT id FROM customer", max_records=1, page_size=1))
        return "Connected to NetSuite (SuiteQL answered)."
