"""Single-record and composite sObject collection operations (the functions behind the actions).

Every function takes plain values so the Certinia connector can call them with its own object names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.base import ActionContext
from connectors.errors import InvalidInput, NotFound

from .client import COLLECTION_LIMIT, request, strip_attributes

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _name(value: str, what: str) -> str:
    """sObject and field names go into URL paths: only API-name characters are accepted."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidInput(
            f"{what} {value!r} is not a valid API name.", hint="Use the API name, e.g. Account."
        )
    return value


def _id(value: str) -> str:
    text = str(value or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9]{15}|[A-Za-z0-9]{18}", text):
        raise InvalidInput(
            "The record id must be a 15- or 18-character Salesforce id.", hint="Map the Id field."
        )
    return text


def _clean(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in dict(fields or {}).items() if k not in ("attributes", "Id", "id")}


def get_record(
    ctx: ActionContext, sobject: str, record_id: str, fields: Sequence[str] | None = None
) -> dict[str, Any]:
    params = {"fields": ",".join(_name(f, "Field") for f in fields)} if fields else None
    path = f"sobjects/{_name(sobject, 'Object')}/{_id(record_id)}"
    return strip_attributes(request(ctx, "GET", path, params=params).json())


def get_by_external_id(ctx: ActionContext, sobject: str, field: str, value: str) -> dict[str, Any]:
    path = f"sobjects/{_name(sobject, 'Object')}/{_name(field, 'Field')}/{quote(str(value), safe='')}"
    return strip_attributes(request(ctx, "GET", path).json())


def create_record(ctx: ActionContext, sobject: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    body = request(ctx, "POST", f"sobjects/{_name(sobject, 'Object')}", json=_clean(fields)).json()
    return {"id": body.get("id"), "success": bool(body.get("success", True)), "created": True}


def create_idempotent(
    ctx: ActionContext,
    sobject: str,
    external_field: str | None,
    fields: Mapping[str, Any],
    external_id: Any = None,
) -> dict[str, Any]:
    """Create one record so that running the step again cannot make a second one.

    With an external id field, the key is ``external_id``, else the field's value in ``fields``, else
    the step's idempotency key (stable per run, node and item): ``GET /sobjects/{Obj}/{field}/{key}``
    answers the first attempt's record when a replay or a redelivered task repeats the create; only
    when it is not there (404) does ``PATCH`` on the same URL create it (an upsert, so even two racing
    attempts make one record). Without a field or a key (an ad-hoc call outside a run) it is a plain
    ``POST``.
    """
    given = next(
        (v for k, v in fields.items() if external_field and k.lower() == external_field.lower()), None
    )
    key = external_id if external_id not in (None, "") else given
    if key in (None, ""):
        key = ctx.idempotency_key
    if not external_field or key in (None, ""):
        return create_record(ctx, sobject, fields)
    # Look first: a create must not change a record that exists, and an upsert that matches one is an
    # update, which Salesforce refuses for create-only fields (QuoteLineItem.QuoteId, Quote.OpportunityId).
    try:
        found = get_by_external_id(ctx, sobject, external_field, str(key))
    except NotFound:
        return upsert_record(ctx, sobject, external_field, str(key), fields)
    return {"id": found.get("Id"), "success": True, "created": False, external_field: str(key)}


def update_record(
    ctx: ActionContext, sobject: str, record_id: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    rid = _id(record_id)
    request(ctx, "PATCH", f"sobjects/{_name(sobject, 'Object')}/{rid}", json=_clean(fields))
    return {"id": rid, "success": True, "created": False}


def upsert_record(
    ctx: ActionContext, sobject: str, external_field: str, external_id: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """``PATCH /sobjects/{Obj}/{ExtField}/{value}``: creates (201) or updates (200, or 204 before API
    v46.0) one record; 300 when the value matches several records. Replaying it with the same external
    id never creates a second record: this, not a header, is what makes a Salesforce write idempotent.
    """
    value = str(external_id or "").strip()
    if not value:
        raise InvalidInput("The external id value is empty.", hint="Map a value to the external id.")
    body_fields = {k: v for k, v in _clean(fields).items() if k.lower() != external_field.lower()}
    path = (
        f"sobjects/{_name(sobject, 'Object')}/{_name(external_field, 'External id field')}/"
        f"{quote(value, safe='')}"
    )
    response = request(ctx, "PATCH", path, json=body_fields)
    body = (response.json() if response.status != 204 else None) or {}
    created = response.status == 201 or bool(body.get("created"))
    rid = body.get("id")
    if not rid:  # 204 (older API versions answer an update without a body): look the id up
        rid = get_by_external_id(ctx, sobject, external_field, value).get("Id")
    return {"id": rid, "success": True, "created": created, external_field: value}


def delete_record(ctx: ActionContext, sobject: str, record_id: str) -> dict[str, Any]:
    rid = _id(record_id)
    request(ctx, "DELETE", f"sobjects/{_name(sobject, 'Object')}/{rid}")
    return {"id": rid, "success": True, "deleted": True}


# --- composite sObject collections -----------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = COLLECTION_LIMIT) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _results(raw: Any, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for index, result in enumerate(raw or []):
        errors = result.get("errors") or []
        item = {
            "id": result.get("id"),
            "success": bool(result.get("success")),
            "created": result.get("created"),
            "errors": [
                {
                    "code": e.get("statusCode") or e.get("errorCode"),
                    "message": e.get("message"),
                    "fields": e.get("fields") or [],
                }
                for e in errors
            ],
        }
        if index < len(records):
            item["input"] = dict(records[index])
        out.append(item)
    return out


def _typed(sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "attributes": {"type": _name(sobject, "Object")},
        **{k: v for k, v in record.items() if k != "attributes"},
    }


def create_many(
    ctx: ActionContext, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
) -> list[dict[str, Any]]:
    """``POST /composite/sobjects`` in chunks of 200; one result per record, in input order."""
    out: list[dict[str, Any]] = []
    for chunk in _chunks(records):
        payload = {"allOrNone": all_or_none, "records": [_typed(sobject, _clean(r)) for r in chunk]}
        out += _results(request(ctx, "POST", "composite/sobjects", json=payload).json(), chunk)
        ctx.heartbeat()
    return out


def update_many(
    ctx: ActionContext, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
) -> list[dict[str, Any]]:
    """``PATCH /composite/sobjects``: every record needs its ``Id``."""
    out: list[dict[str, Any]] = []
    for chunk in _chunks(records):
        typed = []
        for r in chunk:
            rid = r.get("Id") or r.get("id")
            typed.append({**_typed(sobject, _clean(r)), "id": _id(str(rid or ""))})
        payload = {"allOrNone": all_or_none, "records": typed}
        out += _results(request(ctx, "PATCH", "composite/sobjects", json=payload).json(), chunk)
        ctx.heartbeat()
    return out


def upsert_many(
    ctx: ActionContext,
    sobject: str,
    external_field: str,
    records: Sequence[Mapping[str, Any]],
    *,
    all_or_none: bool = False,
) -> list[dict[str, Any]]:
    """``PATCH /composite/sobjects/{Obj}/{ExtField}``: each record carries its external id value."""
    out: list[dict[str, Any]] = []
    path = f"composite/sobjects/{_name(sobject, 'Object')}/{_name(external_field, 'External id field')}"
    for chunk in _chunks(records):
        for r in chunk:
            if not any(k.lower() == external_field.lower() and v not in (None, "") for k, v in r.items()):
                raise InvalidInput(
                    f"A record has no value for the external id field {external_field}.",
                    hint="Map the external id on every record.",
                )
        payload = {"allOrNone": all_or_none, "records": [_typed(sobject, _clean(r)) for r in chunk]}
        out += _results(request(ctx, "PATCH", path, json=payload).json(), chunk)
        ctx.heartbeat()
    return out
