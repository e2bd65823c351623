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
from connectors.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    HTTPStatusError,
    InvalidInput,
    NotFound,
)
from connectors.http.client import SafeResponse

COLLECTIONS = ("workspaces", "stories", "time_entries", "expenses", "users")
SINGULAR = {
    "workspaces": "workspace",
    "stories": "story",
    "time_entries": "time_entry",
    "expenses": "expense",
    "users": "user",
}
MAX_PER_PAGE = 200


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    try:
        body = response.json()
    except ConnectorError:
        body = None
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    message = ctx.http.redactor.text(str(first.get("message") or ""))[:400]
    field = first.get("field")
    text = f"Kantata {method} failed (HTTP {response.status})" + (f": {message}" if message else ".")
    excerpt = ctx.http.redactor.text(response.text[:500])
    if response.status in (401, 403):
        hint = "Reconnect Kantata or check the user's permissions in the workspace."
        return AuthError(text, status=response.status, body_excerpt=excerpt, hint=hint)
    if response.status == 404:
        return NotFound(text, status=response.status, body_excerpt=excerpt, hint="Check the record id.")
    if response.status == 409:
        return ConflictError(
            text, status=409, body_excerpt=excerpt, hint="The record changed; read it again."
        )
    hint = f"Check the value of '{field}'." if field else "Check the mapped fields."
    return HTTPStatusError(text, status=response.status, body_excerpt=excerpt, hint=hint)


def request(
    ctx: ActionContext,
    method: str,
    collection: str,
    record_id: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
) -> Any:
    if collection not in COLLECTIONS:
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


def parse_ts(value: str) -> datetime:
    when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


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
    strict, so we ask from one second before the cursor and drop what was already emitted: cursor =
    ``{"ts": newest updated_at emitted, "ids": [ids emitted with exactly that updated_at]}``."""
    if not cursor:
        start = parse_ts(since) if since else datetime.now(UTC).replace(microsecond=0)
        cursor = {"ts": start.isoformat(), "ids": []}
    start = parse_ts(str(cursor["ts"]))
    seen = {str(i) for i in cursor.get("ids") or []}
    params = {**dict(filters or {}), "updated_after": (start - timedelta(seconds=1)).isoformat()}
    fresh = []
    for record in list_records(ctx, collection, params):
        when = parse_ts(record.get("updated_at") or record.get("created_at"))
        if when < start or (when == start and str(record["id"]) in seen):
            continue
        fresh.append((when, int(record["id"]), record))
    fresh.sort(key=lambda t: (t[0], t[1]))
    items = fresh[:max_records]
    last, last_ids = start, set(seen)
    for when, rid, _record in items:
        if when > last:
            last, last_ids = when, set()
        last_ids.add(str(rid))
    return PollResult([r for _w, _i, r in items], {"ts": last.isoformat(), "ids": sorted(last_ids)})
