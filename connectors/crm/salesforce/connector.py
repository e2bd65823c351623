"""Salesforce (REST API): SOQL query, get, create, update, upsert by external id, composite collections,
delete, typed quote-to-cash objects (contracts, quotes and lines; products and price book entries to
read), and a polling trigger on LastModifiedDate. Node ids: ``crm.salesforce.<action>``.

Creates the lifecycle makes are upserts on an external id field (Salesforce ignores idempotency
headers): a replayed step finds the record its first attempt created."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any

from connectors.base import (
    Action,
    ActionContext,
    ApiUsage,
    Connector,
    PollResult,
    Trigger,
)
from connectors.errors import NotFound
from connectors.http.client import SafeResponse
from connectors.http.ratelimit import RateLimit
from connectors.object_actions import object_actions

from . import auth, canonical, typed
from . import schemas as s
from .client import DEFAULT_API_VERSION, api_usage, probe, query_records, strip_attributes
from .objects import OBJECTS
from .polling import poll_updated, record_versions
from .records import (
    create_idempotent,
    create_many,
    delete_record,
    get_record,
    update_many,
    update_record,
    upsert_many,
    upsert_record,
)

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
            "description": "Your My Domain URL, e.g. https://acme.my.salesforce.com (the token's "
            "instance_url must be on this host)",
        },
        "api_version": {
            "type": "string",
            "title": "API version",
            "pattern": "^v?[0-9]{2}\\.0$",
            "default": DEFAULT_API_VERSION,
        },
        "external_id_field": {
            "type": "string",
            "title": "External id field",
            "description": "A text field marked External ID (and Unique) on the objects this connection "
            "creates (Contract, Quote, QuoteLineItem ...): creates upsert on it, so a replay never makes "
            "a second record",
            "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
            "default": typed.DEFAULT_EXTERNAL_ID,
        },
    },
}


# --- action functions ------------------------------------------------------------------------------


def run_query(ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Records as they page in (``nextRecordsUrl``): a node streams them, other callers get a list."""
    records = query_records(
        ctx,
        str(params["soql"]),
        max_records=int(params.get("max_records", 2000)),
        include_deleted=bool(params.get("include_deleted", False)),
        page_size=params.get("page_size"),
    )
    return (strip_attributes(r) for r in records)


def run_get(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return get_record(ctx, params["sobject"], params["id"], params.get("fields"))


def run_create(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """With an external id field: an upsert keyed by its value in ``fields`` or the step's idempotency
    key (replay-safe). Without: a plain create."""
    return create_idempotent(
        ctx, params["sobject"], params.get("external_id_field") or None, params["fields"]
    )


def run_update(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return update_record(ctx, params["sobject"], params["id"], params["fields"])


def run_upsert(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return upsert_record(
        ctx, params["sobject"], params["external_id_field"], str(params["external_id"]), params["fields"]
    )


def run_delete(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return delete_record(ctx, params["sobject"], params["id"])
    except NotFound:
        if params.get("ignore_missing"):
            return {"id": params["id"], "success": True, "deleted": False}
        raise


def _grouped(
    batch: Sequence[Mapping[str, Any]],
    keys: tuple[str, ...],
    run: Callable[..., list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Consecutive items with the same object (and options) go in one collection call, order kept."""
    out: list[dict[str, Any]] = []
    for group_key, group in groupby(batch, key=lambda p: tuple(p.get(k) for k in keys)):
        items = list(group)
        options = dict(zip(keys, group_key, strict=True))
        out += run(options, [dict(i["record"]) for i in items])
    return out


def run_create_many(ctx: ActionContext, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """With an external id field, records without a value get ``<idempotency key>-<n>`` (their place in
    the batch) and the batch is upserted: a replayed batch finds its records."""
    key = ctx.idempotency_key
    keyed = []
    for n, params in enumerate(batch):
        field = params.get("external_id_field")
        record = dict(params["record"])
        if field and key and not any(k.lower() == field.lower() and v for k, v in record.items()):
            record[field] = f"{key}-{n}"
        keyed.append({**params, "record": record})

    def run(options: Mapping[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        all_or_none = bool(options["all_or_none"])
        if options["external_id_field"]:
            return upsert_many(
                ctx, options["sobject"], options["external_id_field"], records, all_or_none=all_or_none
            )
        return create_many(ctx, options["sobject"], records, all_or_none=all_or_none)

    return _grouped(keyed, ("sobject", "external_id_field", "all_or_none"), run)


def run_update_many(ctx: ActionContext, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _grouped(
        batch,
        ("sobject", "all_or_none"),
        lambda o, records: update_many(ctx, o["sobject"], records, all_or_none=bool(o["all_or_none"])),
    )


def run_upsert_many(ctx: ActionContext, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _grouped(
        batch,
        ("sobject", "external_id_field", "all_or_none"),
        lambda o, records: upsert_many(
            ctx, o["sobject"], o["external_id_field"], records, all_or_none=bool(o["all_or_none"])
        ),
    )


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    return poll_updated(
        ctx,
        sobject=config["sobject"],
        fields=config.get("fields") or ["Name"],
        where=str(config.get("where") or ""),
        cursor=cursor,
        since=config.get("since") or None,
        max_records=int(config.get("max_records", 500)),
        timestamp_field=str(config.get("timestamp_field") or "LastModifiedDate"),
    )


# --- declaration -----------------------------------------------------------------------------------


class SalesforceConnector(Connector):
    key = "salesforce"
    name = "Salesforce"
    category = "CRM"
    icon = "salesforce"
    version = "1.0.0"
    description = (
        "Salesforce REST API: SOQL queries, records by id or external id, composite collections of up "
        "to 200 records, and a trigger on changed records."
    )
    docs = "connectors/crm/salesforce/README.md"
    credential_types = auth.CREDENTIAL_TYPES
    config_schema = CONFIG_SCHEMA
    # Salesforce allows 25 concurrent long-running calls per org; keep well below it per connection.
    rate_limit = RateLimit(rate=20.0, burst=40, max_concurrency=10)
    canonical_mappings = canonical.MAPPINGS

    def record_versions(self, ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
        return record_versions(ctx, obj, ids)

    actions = (
        Action(
            key="query",
            name="Query (SOQL)",
            description="Run a SOQL query and return one item per record, following every page.",
            run=run_query,
            input_schema=s.QUERY_INPUT,
            output_schema=s.RECORD,
        ),
        Action(
            key="get",
            name="Get record",
            description="Read one record by id.",
            run=run_get,
            input_schema=s.GET_INPUT,
            output_schema=s.RECORD,
        ),
        Action(
            key="create",
            name="Create record",
            description="Create one record. Name an external id field to make it replay-safe (an upsert "
            "keyed by the field's value or the step's idempotency key).",
            run=run_create,
            input_schema=s.CREATE_INPUT,
            output_schema=s.WRITE_RESULT,
            writes=True,
        ),
        Action(
            key="update",
            name="Update record",
            description="Update fields of one record by id.",
            run=run_update,
            input_schema=s.UPDATE_INPUT,
            output_schema=s.WRITE_RESULT,
            writes=True,
        ),
        Action(
            key="upsert",
            name="Upsert by external id",
            description="Create or update one record matched on an external id field (replay-safe).",
            run=run_upsert,
            input_schema=s.UPSERT_INPUT,
            output_schema=s.WRITE_RESULT,
            writes=True,
        ),
        Action(
            key="delete",
            name="Delete record",
            description="Delete one record by id.",
            run=run_delete,
            input_schema=s.DELETE_INPUT,
            output_schema=s.WRITE_RESULT,
            writes=True,
        ),
        Action(
            key="create_many",
            name="Create records (collection)",
            description="Create records 200 at a time with the composite sObject collections API; with an "
            "external id field, replay-safe (upserted on it).",
            run=run_create_many,
            input_schema=s.CREATE_MANY_INPUT,
            output_schema=s.BATCH_RESULT,
            writes=True,
            mode="batch",
            batch_size=200,
        ),
        Action(
            key="update_many",
            name="Update records (collection)",
            description="Update records by Id, 200 at a time (composite sObject collections).",
            run=run_update_many,
            input_schema=s.UPDATE_MANY_INPUT,
            output_schema=s.BATCH_RESULT,
            writes=True,
            mode="batch",
            batch_size=200,
        ),
        Action(
            key="upsert_many",
            name="Upsert records by external id (collection)",
            description="Create or update records matched on an external id, 200 at a time (replay-safe).",
            run=run_upsert_many,
            input_schema=s.UPSERT_MANY_INPUT,
            output_schema=s.BATCH_RESULT,
            writes=True,
            mode="batch",
            batch_size=200,
        ),
    )
    actions += object_actions(
        OBJECTS.values(), typed.VERBS, names=typed.names, record_object=lambda obj: obj.sobject
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll for records whose LastModifiedDate moved since the last poll.",
            poll=poll_record_updated,
            config_schema=s.UPDATED_TRIGGER_CONFIG,
            output_schema=s.RECORD,
            default_interval_s=300,
        ),
    )

    def default_headers(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {"Accept": "application/json"}

    def probe(self, ctx: ActionContext) -> str:
        return probe(ctx)

    def api_usage(self, response: SafeResponse) -> ApiUsage | None:
        return api_usage(response)
