"""Kantata OX API v1 plumbing: the ``results`` + keyed-objects response shape, paging and errors.

A Kantata list answer is ``{"count": n, "results": [{"key": "workspaces", "id": "1"}, ...],
"workspaces": {"1": {...}}, "users": {...}, "meta": {...}}``: ``results`` gives the order, the keyed
objects hold the data (plus any ``include``d associations). :func:`flatten` turns that into records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import ActionContext, PollResult
from connectors.errors import ConnectorError, InvalidInput, NotFound
from connectors.http.client import SafeResponse
from connectors.http.errors import error_body, response_error
from connectors.polling import Position, collect, parse_timestamp

COLLECTIONS = (
    "workspaces",
    "stories",
    "time_entries",
    "expenses",
    "invoices",
    "users",
    "roles",
    "rate_cards",
    "rate_card_roles",
    "expense_categories",
)
SINGULAR = {
    "workspaces": "workspace",
    "stories": "story",
    "time_entries": "time_entry",
    "expenses": "expense",
    "invoices": "invoice",
    "users": "user",
    "roles": "role",
    "rate_cards": "rate_card",
    "rate_card_roles": "rate_card_role",
    "expense_categories": "expense_category",
}
# Served by actions of their own (custom_fields.py), not by the per-collection verbs.
OTHER_COLLECTIONS = ("custom_fields", "custom_field_values")
MAX_PER_PAGE = 200
# What a lookup by external reference must add so that it also finds records Kantata hides by default
# (archived projects and their time and expenses).
SEE_ARCHIVED = {
    "workspaces": {"archived": "include"},
    "time_entries": {"from_archived_workspaces": "true"},
    "expenses": {"from_archived_workspaces": "true"},
}
# The service name a reference made from the node's idempotency key carries.
SERVICE_NAME = "Flowbuilder"


# What to do, per failure status; any other refusal names the field Kantata complained about.
HINTS = {
    401: "Reconnect Kantata or check the user's permissions in the workspace.",
    403: "Reconnect Kantata or check the user's permissions in the workspace.",
    404: "Check the record id.",
    409: "The record changed; read it again.",
}


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    """Map a failed response (``{"errors": [{"type", "message", "field"}]}``) to a connector error."""
    body = error_body(response)
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    field = first.get("field")
    hint = f"Check the value of '{field}'." if field else "Check the mapped fields."
    message = str(first.get("message") or "")
    return response_error(
        "Kantata",
        method,
        response,
        redactor=ctx.http.redactor,
        message=f"{message} ({field})" if field and message else message,
        code=str(first.get("type") or ""),
        hint=HINTS.get(response.status, hint),
    )


def request(
    ctx: ActionContext,
    method: str,
    collection: str,
    record_id: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
) -> Any:
    if collection not in COLLECTIONS and collection not in OTHER_COLLECTIONS:
        raise InvalidInput(f"Unknown Kantata collection {collection!r}.")
    path = f"/api/v1/{collection}" + (f"/{_id(record_id)}" if record_id is not None else "") + ".json"
    response = ctx.http.request(method, path, params=params, json=json, raise_for_status=False)
    if response.status >= 400:
        raise error_from_response(ctx, method, response)
    return response.json()


def _id(value: Any) -> str:
    text = str(value).strip()
    if not text.isdigit():
        raise InvalidInput("Kantata ids are numbers.", hint="Map the id field of the record.")
    return text


def flatten(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``results`` order, data from the keyed objects (``{"key": "stories", "id": "7"}`` -> record)."""
    out = []
    for ref in body.get("results") or []:
        record = (body.get(ref.get("key")) or {}).get(str(ref.get("id")))
        if record is not None:
            out.append(dict(record))
    return out


def list_records(
    ctx: ActionContext,
    collection: str,
    params: Mapping[str, Any] | None = None,
    *,
    max_records: int | None = None,
    per_page: int = MAX_PER_PAGE,
) -> Iterator[dict[str, Any]]:
    """Every page (``page``/``per_page``, stop at ``meta.page_count``) until ``max_records``."""
    page, count = 1, 0
    while True:
        query = {**dict(params or {}), "page": page, "per_page": max(1, min(per_page, MAX_PER_PAGE))}
        body = request(ctx, "GET", collection, params=query) or {}
        records = flatten(body)
        for record in records:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield record
        meta = body.get("meta") or {}
        page_count = int(meta.get("page_count") or page)
        if not records or page >= page_count or (max_records is not None and count >= max_records):
            return
        page += 1
        ctx.heartbeat()


def get_record(ctx: ActionContext, collection: str, record_id: Any, include: str = "") -> dict[str, Any]:
    params = {"include": include} if include else None
    records = flatten(request(ctx, "GET", collection, record_id, params=params) or {})
    if not records:
        raise NotFound(f"Kantata {SINGULAR[collection]} {record_id} not found.", status=404)
    return records[0]


def create_record(ctx: ActionContext, collection: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/{collection}.json`` with ``{"<singular>": {...}}`` as documented."""
    body = request(ctx, "POST", collection, json={SINGULAR[collection]: dict(attrs)})
    return flatten(body or {})[0]


def reference_for(
    ctx: ActionContext, collection: str, given: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The external reference a create carries: the one the caller gave (e.g. the Salesforce id the
    record comes from), else one made from the node's idempotency key (stable per run, node and item)."""
    if given:
        return {k: (str(v) if k != "locked" else v) for k, v in given.items() if v not in (None, "")}
    if ctx.idempotency_key:
        return {
            "service_name": SERVICE_NAME,
            "service_model": f"{SINGULAR[collection]}_create",
            "service_model_ref": ctx.idempotency_key,
            "status": "successful",
        }
    return None


def find_by_reference(ctx: ActionContext, collection: str, ref: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record carrying ``ref``: ``GET /{collection}.json`` filtered by the documented
    ``external_reference_service_name`` / ``_service_model`` / ``_service_model_refs`` (string ids; the
    singular ``_service_model_ref`` filter is typed integer)."""
    params = {
        **SEE_ARCHIVED.get(collection, {}),
        "external_reference_service_name": ref["service_name"],
        "external_reference_service_model": ref["service_model"],
        "external_reference_service_model_refs": ref["service_model_ref"],
        "per_page": 2,
    }
    records = flatten(request(ctx, "GET", collection, params=params) or {})
    return records[0] if records else None


def create_once(
    ctx: ActionContext, collection: str, attrs: Mapping[str, Any], ref: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Create unless a record with the same external reference exists (a replay, a redelivery or a
    worker killed after Kantata answered): then that record is the answer and nothing is sent."""
    if ref is None:
        return create_record(ctx, collection, attrs)
    if "," in str(ref["service_model_ref"]):
        raise InvalidInput(
            "An external reference id may not contain a comma.",
            hint="Kantata looks references up by comma-separated ids; map an id without commas.",
        )
    found = find_by_reference(ctx, collection, ref)
    if found is not None:
        return found
    return create_record(ctx, collection, {**attrs, "external_reference": dict(ref)})


def update_record(
    ctx: ActionContext, collection: str, record_id: Any, attrs: Mapping[str, Any]
) -> dict[str, Any]:
    """``PUT /api/v1/{collection}/{id}.json`` with ``{"<singular>": {...}}`` (only the given attributes)."""
    body = request(ctx, "PUT", collection, record_id, json={SINGULAR[collection]: dict(attrs)})
    return flatten(body or {})[0]


def delete_record(ctx: ActionContext, collection: str, record_id: Any) -> dict[str, Any]:
    request(ctx, "DELETE", collection, record_id)
    return {"id": str(record_id), "deleted": True}


# --- polling --------------------------------------------------------------------------------------


def poll_updated(
    ctx: ActionContext,
    collection: str,
    *,
    cursor: Mapping[str, Any] | None,
    filters: Mapping[str, Any] | None = None,
    since: str | None = None,
    max_records: int = 500,
) -> PollResult:
    """``updated_after`` polling. Kantata keeps ``updated_at`` to the second and ``updated_after`` is
    strict, so we ask from one second before the cursor, read every page (Kantata does not order by
    ``updated_at``), sort, and let ``connectors.polling`` drop what was already emitted."""
    if not cursor:
        begin = parse_timestamp(since) if since else datetime.now(UTC).replace(microsecond=0)
        cursor = {"ts": begin.isoformat(), "ids": []}
    start = Position.load(cursor, parse_timestamp)
    params = {**dict(filters or {}), "updated_after": (start.ts - timedelta(seconds=1)).isoformat()}
    records = sorted(list_records(ctx, collection, params), key=lambda r: (_updated(r), int(r["id"])))
    return collect(
        records,
        start,
        limit=max_records,
        timestamp=_updated,
        record_id=lambda record: str(record["id"]),
        item=lambda record: record,
        fmt=datetime.isoformat,
        object_name=collection,
    )


def _updated(record: Mapping[str, Any]) -> datetime:
    return parse_timestamp(record.get("updated_at") or record.get("created_at"))
