"""NetSuite (REST web services): records (customers, projects, invoices, credit memos, payments and the
setup records they point at) and SuiteQL. Node ids: ``erp.netsuite.<action>`` (e.g.
``erp.netsuite.upsert_record``, ``erp.netsuite.suiteql``).

Writes are replay-safe where NetSuite allows it: a create with an external id (given, or derived from the
step's idempotency key) is ``PUT .../<type>/eid:<externalId>``, NetSuite's upsert, so a step that runs twice
finds the record it made the first time. Concurrency limits are NetSuite's per account, so every
connection to one account draws from one budget (:meth:`NetSuiteConnector.rate_limit_key`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectors.base import (
    Action,
    ActionContext,
    Connector,
    Trigger,
    object_schema,
)
from connectors.errors import InvalidInput, NotFound
from connectors.http.ratelimit import RateLimit

from . import auth, canonical, client, polling

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
    '{"externalId": "X"}, sublists as {"items": [...]}; a currency may be its ISO code ("EUR")',
}
RECORD_OUT = {"type": "object", "properties": {"id": {"type": "string"}}}
WRITE_OUT = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "record_type": {"type": "string"}},
}
RETURN_RECORD = {"type": "boolean", "title": "Read the saved record back", "default": True}
MAX_EXTERNAL_ID = 64
EXTERNAL_ID_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")


def _result(ctx: ActionContext, rtype: str, rid: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if params.get("return_record", True):
        return {**client.get_record(ctx, rtype, rid), "id": rid, "record_type": rtype}
    return {"id": rid, "record_type": rtype}


def external_id_for(idempotency_key: str) -> str:
    """The external id a create carries when the flow gave none: the step's idempotency key (stable per
    run, node and item), hashed when it is long or has characters an external id cannot have (Using
    External IDs: letters, numbers, underscore and hyphen)."""
    if len(idempotency_key) <= MAX_EXTERNAL_ID and EXTERNAL_ID_CHARS.match(idempotency_key):
        return idempotency_key
    return "fb-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def _needs_subsidiary(rtype: str, fields: Mapping[str, Any]) -> bool:
    return rtype in ("customer", "job") and fields.get("subsidiary") in (None, "")


def _default_subsidiary(ctx: ActionContext, rtype: str, fields: dict[str, Any]) -> dict[str, Any]:
    """OneWorld: a new customer needs a subsidiary (the connection's default, when set), a new project its
    customer's (NetSuite keeps a project in its customer's subsidiary)."""
    if not _needs_subsidiary(rtype, fields):
        return fields
    subsidiary = None
    parent = fields.get("parent")
    if rtype == "job" and isinstance(parent, Mapping) and (parent.get("id") or parent.get("externalId")):
        parent_key = client.record_key(parent.get("id"), parent.get("externalId"))
        found = client.find_record(ctx, "customer", parent_key, ["subsidiary"]) or {}
        subsidiary = (found.get("subsidiary") or {}).get("id")
    subsidiary = subsidiary or ctx.config.get("subsidiary_id")
    return {**fields, "subsidiary": {"id": str(subsidiary)}} if subsidiary else fields


def _with_subsidiary(ctx: ActionContext, rtype: str, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An upsert fills the subsidiary only when the record is new: one that exists keeps its own (NetSuite
    will not move an entity that has transactions to another subsidiary)."""
    if (
        not _needs_subsidiary(rtype, fields)
        or client.find_record(ctx, rtype, key, ["subsidiary"]) is not None
    ):
        return fields
    return _default_subsidiary(ctx, rtype, fields)


def sublist_params(body: Mapping[str, Any]) -> dict[str, str]:
    """``replace=<sublists>`` for the sublists a body sets: without it NetSuite adds the lines to the
    record's own (Replacing a Sublist), so an update sent twice would double them."""
    names = sorted(k for k, v in body.items() if isinstance(v, Mapping) and isinstance(v.get("items"), list))
    return {"replace": ",".join(names)} if names else {}


def _put_by_external_id(
    ctx: ActionContext, rtype: str, external_id: Any, fields: Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, Any]:
    key = client.record_key(None, external_id)
    body = {k: v for k, v in client.write_fields(ctx, fields).items() if k != "externalId"}
    body = _with_subsidiary(ctx, rtype, key, body)
    response = client.request(
        ctx, "PUT", client.record_path(rtype, key), params=sublist_params(body), json=body, idempotent=True
    )
    location = response.headers.get("Location", "")
    if location:
        rid = client.id_from_location(location)
    else:
        rid = str(client.get_record(ctx, rtype, key, expand=False)["id"])
    return _result(ctx, rtype, rid, params)


def run_create(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """With an external id (the fields', or one derived from the idempotency key) the create is NetSuite's
    upsert, so a replayed step finds its record; without either it is a plain POST."""
    rtype = client.record_type(params["record_type"])
    fields = dict(params["fields"])
    external_id = fields.get("externalId") or (
        external_id_for(ctx.idempotency_key) if ctx.idempotency_key else None
    )
    if external_id not in (None, ""):
        return _put_by_external_id(ctx, rtype, external_id, fields, params)
    body = _default_subsidiary(ctx, rtype, client.write_fields(ctx, fields))
    response = client.request(ctx, "POST", client.record_path(rtype), json=body)
    rid = client.id_from_location(response.headers.get("Location", ""))
    return _result(ctx, rtype, rid, params)


def run_upsert(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT .../{type}/eid:{externalId}``: creates or updates; the same external id twice is one record."""
    rtype = client.record_type(params["record_type"])
    return _put_by_external_id(ctx, rtype, params["external_id"], dict(params["fields"]), params)


def run_get(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    key = client.record_key(params.get("id"), params.get("external_id"))
    return client.get_record(
        ctx, rtype, key, expand=bool(params.get("expand_sublists", True)), fields=params.get("fields")
    )


def run_update(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    rtype = client.record_type(params["record_type"])
    key = client.record_key(params.get("id"), params.get("external_id"))
    body = client.write_fields(ctx, dict(params["fields"]))
    client.request(ctx, "PATCH", client.record_path(rtype, key), params=sublist_params(body), json=body)
    rid = key if key.isdigit() else str(client.get_record(ctx, rtype, key, expand=False)["id"])
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


def run_list(ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    rtype = client.record_type(params["record_type"])
    ids = client.list_ids(
        ctx,
        rtype,
        q=str(params.get("q") or ""),
        max_records=int(params.get("max_records", 1000)),
        page_size=int(params.get("page_size", client.MAX_LIMIT)),
    )
    if not params.get("read_records", False):
        return ({"id": rid, "record_type": rtype} for rid in ids)
    return _read_each(ctx, rtype, ids)


def _read_each(ctx: ActionContext, rtype: str, ids: Iterator[str]) -> Iterator[dict[str, Any]]:
    for rid in ids:
        yield {**client.get_record(ctx, rtype, rid), "record_type": rtype}
        ctx.heartbeat()


def run_suiteql(ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows as they page in (``hasMore``): a node streams them, other callers get a list."""
    return client.suiteql(
        ctx,
        str(params["query"]),
        max_records=int(params.get("max_records", 5000)),
        page_size=int(params.get("page_size", client.MAX_LIMIT)),
    )


def run_currency_id(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """An ISO code -> the account's currency record id (``{"id", "symbol"}``)."""
    code = str(params["code"]).strip().upper()
    return {"id": client.currency_id(ctx, code, field="code"), "symbol": code}


# --- declaration -----------------------------------------------------------------------------------

PAGE_SIZE = {"type": "integer", "title": "Page size", "minimum": 1, "maximum": 1000, "default": 1000}


class NetSuiteConnector(Connector):
    key = "netsuite"
    name = "NetSuite"
    category = "ERP"
    icon = "netsuite"
    version = "1.1.0"
    description = (
        "NetSuite REST record API (customers, projects, invoices, credit memos, payments, and their "
        "currencies, terms, subsidiaries, items, price levels, tax codes and dimensions) and SuiteQL."
    )
    docs = "connectors/erp/netsuite/README.md"
    credential_types = auth.CREDENTIAL_TYPES
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
            "subsidiary_id": {
                "type": "string",
                "title": "Default subsidiary (internal id)",
                "description": "OneWorld: the subsidiary of customers created without one",
                "pattern": "^[0-9]+$",
            },
            "time_zone": {
                "type": "string",
                "title": "Time zone of the integration user",
                "description": "Home > Set Preferences > Time Zone of the user the integration runs as, "
                "as an IANA name (e.g. America/New_York); SuiteQL shows times in it",
                "default": polling.DEFAULT_TIME_ZONE,
                "minLength": 1,
            },
        },
    }
    # NetSuite refuses requests over the account's concurrency limit (5 on the smallest service tier, 15 on
    # tier 1, +10 per SuiteCloud Plus licence) with 429; the limit is per account, shared by every
    # integration. Queue locally instead: at most 4 in flight per account (rate_limit_key).
    rate_limit = RateLimit(rate=10.0, burst=10, max_concurrency=4)
    canonical_mappings = canonical.MAPPINGS
    actions = (
        Action(
            key="create_record",
            name="Create record",
            description="Create a record. With an external id (yours, or one derived from the step) it is "
            "NetSuite's upsert (PUT eid:...), so a replayed step finds its record instead of making another.",
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
                page_size=PAGE_SIZE,
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
                page_size=PAGE_SIZE,
            ),
            output_schema={"type": "object"},
        ),
        Action(
            key="currency_id",
            name="Find currency",
            description="The internal id of the account's currency with this ISO code (SuiteQL on currency).",
            run=run_currency_id,
            input_schema=object_schema(
                ["code"], code={"type": "string", "title": "ISO code", "pattern": "^[A-Za-z]{3}$"}
            ),
            output_schema={
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "symbol": {"type": "string"}},
            },
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll SuiteQL for records whose last-modified time moved since the last poll "
            "(in the account's time zone; the cursor is UTC and tie-broken by id).",
            poll=polling.poll_record_updated,
            config_schema=object_schema(
                ["record_type"],
                record_type={**RECORD_TYPE, "enum": list(polling.TABLES)},
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
        return auth.rest_base(str(config["account_id"]))

    def rate_limit_key(self, config: Mapping[str, Any], connection_id: str) -> str:
        """NetSuite governs concurrency per account: every connection to one account shares its budget.
        The account comes from the settings, else from the base URL (a REST host names it; any other base,
        such as a proxy or the sandbox, is one account per base URL)."""
        if config.get("account_id"):
            return "netsuite:" + str(config["account_id"]).upper().replace("-", "_")
        base = self.base_url(config).lower()
        host = base.split("://", 1)[-1].split("/", 1)[0]
        if host.endswith(".suitetalk.api.netsuite.com"):
            return "netsuite:" + host.split(".", 1)[0].upper().replace("-", "_")
        return "netsuite:" + base

    reference_kinds = ("item", "tax_code", "currency", "subsidiary")

    def find_references(self, ctx: ActionContext, kind: str, keys: Sequence[str]) -> dict[str, str]:
        """Items through SuiteQL's ``item`` table (every item type), tax codes as ``salesTaxItem`` records,
        subsidiaries as records (by internal id), currencies by ISO code (the currency list's symbol)."""
        found: dict[str, str] = {}
        if kind == "currency":
            codes = {row["symbol"]: row["name"] for row in client.currencies(ctx)}
            return {k: codes[str(k).strip().upper()] for k in keys if str(k).strip().upper() in codes}
        if kind not in self.reference_kinds:
            return super().find_references(ctx, kind, keys)
        for key in dict.fromkeys(str(k) for k in keys):
            if not key.isdigit() or len(key) > 18:
                continue  # not an internal id: missing
            if kind == "item":
                rows = list(
                    client.suiteql(ctx, f"SELECT id, itemid FROM item WHERE id = {int(key)}", max_records=1)  # noqa: S608 (an integer)
                )
                if rows:
                    found[key] = str(rows[0].get("itemid") or key)
                continue
            rtype = "salestaxitem" if kind == "tax_code" else "subsidiary"
            record = client.find_record(ctx, rtype, key, ["id", "name"])
            if record is not None:
                found[key] = str(record.get("name") or key)
        return found

    def record_versions(self, ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
        """For echo suppression: the versions the trigger will see for records a flow just wrote."""
        return polling.record_versions(ctx, obj, ids)

    def probe(self, ctx: ActionContext) -> str:
        list(client.suiteql(ctx, "SELECT id FROM customer", max_records=1, page_size=1))
        problem = polling.check_time_zone(ctx)
        if problem:
            raise InvalidInput(problem, hint="Set the connection's time zone to the integration user's.")
        return "Connected to NetSuite (SuiteQL answered; the time zone matches)."
