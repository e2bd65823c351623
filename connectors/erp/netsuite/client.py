"""NetSuite REST web services plumbing: record API, SuiteQL paging and error mapping.

* Create answers ``204 No Content`` with ``Location: .../record/v1/customer/1234``; the id is parsed
  from it. ``PUT .../customer/eid:{externalId}`` is an upsert.
* SuiteQL is ``POST /services/rest/query/v1/suiteql?limit=&offset=`` with ``Prefer: transient``;
  pages follow ``hasMore`` (offset must be a multiple of limit).
* Errors are RFC 9457 style ``{"title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}``.
  A concurrency refusal (429, or ``CONCURRENCY_LIMIT_EXCEEDED`` in any status) is :class:`RateLimited`:
  the safe client already retries it with backoff, and the connector's RateLimit queues our own calls
  so one connection never exceeds the account's concurrency budget in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from connectors.base import ActionContext
from connectors.errors import ConnectorError, HTTPStatusError, InvalidInput, RateLimited
from connectors.http.client import SafeResponse
from connectors.http.errors import error_body, response_error

RECORD_ROOT = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
RECORD_TYPES = ("customer", "job", "invoice", "customerpayment")
MAX_LIMIT = 1000

HINTS = {
    "INVALID_LOGIN": "Reconnect NetSuite; the token or integration record was refused.",
    "NONEXISTENT_ID": "Check the internal id or external id.",
    "INVALID_CONTENT": "A field name or value does not match the record type; check the mapped fields.",
    "USER_ERROR": "NetSuite refused the values; read the message for the field.",
    "INVALID_PARAMETER": "Check the query or paging parameters.",
    "INVALID_HEADER": "A required header is missing.",
    "CONCURRENCY_LIMIT_EXCEEDED": "The account's concurrent request limit is reached; the step will retry.",
}


class NetSuiteError(HTTPStatusError):
    """A refused NetSuite request; ``error_code`` is the first error detail's ``o:errorCode``."""


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    """Map a failed response (``{"title", "o:errorDetails": [{"detail", "o:errorCode", "o:errorPath"}]}``)."""
    body = error_body(response)
    details = body.get("o:errorDetails") if isinstance(body, Mapping) else None
    first = details[0] if isinstance(details, list) and details and isinstance(details[0], Mapping) else {}
    code = str(first.get("o:errorCode") or "")
    detail = str(first.get("detail") or (body or {}).get("title") or "")
    # A concurrency refusal may come with any status: the step waits and retries.
    throttled = response.status == 429 or code == "CONCURRENCY_LIMIT_EXCEEDED"
    hint = HINTS.get(code, "NetSuite refused the request; check the mapped fields.")
    if first.get("o:errorPath"):
        hint += f" Field: {first['o:errorPath']}."
    return response_error(
        "NetSuite",
        method,
        response,
        redactor=ctx.http.redactor,
        message=detail,
        code=code,
        hint=HINTS["CONCURRENCY_LIMIT_EXCEEDED"] if throttled else hint,
        kind=RateLimited if throttled else None,
        refused=NetSuiteError,
        default_retry_after=1.0,
    )


def request(
    ctx: ActionContext,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    idempotent: bool | None = None,
) -> SafeResponse:
    response = ctx.http.request(
        method,
        path,
        params=params,
        json=json,
        headers=dict(headers or {}),
        raise_for_status=False,
        idempotent=idempotent,
    )
    if response.status >= 400:
        raise error_from_response(ctx, method, response)
    return response


def record_type(value: str) -> str:
    if value not in RECORD_TYPES:
        raise InvalidInput(f"Record type must be one of {', '.join(RECORD_TYPES)}.")
    return value


def record_key(record_id: Any = None, external_id: Any = None) -> str:
    """Path segment for a record: its internal id, or ``eid:<externalId>``."""
    if record_id not in (None, ""):
        text = str(record_id).strip()
        if not text.isdigit():
            raise InvalidInput("A NetSuite internal id is a number.", hint="Map the id field.")
        return text
    if external_id not in (None, ""):
        return "eid:" + quote(str(external_id).strip(), safe="")
    raise InvalidInput("Give the record's internal id or its external id.")


def id_from_location(location: str) -> str:
    """``.../record/v1/customer/1234`` -> ``1234``."""
    match = re.search(r"/([^/]+)/?$", urlsplit(location or "").path)
    if not match:
        raise ConnectorError(
            "NetSuite answered without a Location header naming the record.",
            hint="Check that the base URL points at the REST web services.",
        )
    return match.group(1)


def record_path(rtype: str, key: str | None = None) -> str:
    return f"{RECORD_ROOT}/{record_type(rtype)}" + (f"/{key}" if key else "")


def strip_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [strip_links(v) for v in value]
    return value


def get_record(
    ctx: ActionContext, rtype: str, key: str, *, expand: bool = True, fields: list[str] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"expandSubResources": "true"} if expand else {}
    if fields:
        params["fields"] = ",".join(fields)
    return strip_links(request(ctx, "GET", record_path(rtype, key), params=params).json())


def list_ids(
    ctx: ActionContext, rtype: str, *, q: str = "", max_records: int | None = None, page_size: int = MAX_LIMIT
) -> Iterator[str]:
    """The record list (``{"items": [{"id"}], "hasMore"}``) over limit/offset pages."""
    offset, count = 0, 0
    limit = max(1, min(page_size, MAX_LIMIT))
    while True:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if q:
            params["q"] = q
        body = request(ctx, "GET", record_path(rtype), params=params).json() or {}
        for item in body.get("items") or []:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield str(item["id"])
        if not body.get("hasMore") or (max_records is not None and count >= max_records):
            return
        offset += limit
        ctx.heartbeat()


def suiteql(
    ctx: ActionContext, query: str, *, max_records: int | None = None, page_size: int = MAX_LIMIT
) -> Iterator[dict[str, Any]]:
    """Rows of a SuiteQL query over every page (``hasMore``), ``links`` removed."""
    offset, count = 0, 0
    limit = max(1, min(page_size, MAX_LIMIT))
    while True:
        response = request(
            ctx,
            "POST",
            SUITEQL_PATH,
            params={"limit": limit, "offset": offset},
            json={"q": query},
            headers={"Prefer": "transient"},
            idempotent=True,  # a query reads only: resending it after a 5xx is safe
        )
        body = response.json() or {}
        for row in body.get("items") or []:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield {k: v for k, v in row.items() if k != "links"}
        if not body.get("hasMore") or (max_records is not None and count >= max_records):
            return
        offset += limit
        ctx.heartbeat()
