"""Business Central API v2.0 plumbing: company-scoped entity sets, OData paging, ETags and errors.

* URLs: ``{base}/api/v2.0/companies({companyId})/{entitySet}[({id})]``.
* Lists follow ``@odata.nextLink`` (server-driven paging) until ``max_records``.
* Updates send ``If-Match: <@odata.etag>``; a 412 means someone changed the record since it was read
  and becomes :class:`ConflictError` with a hint.
* Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import ActionContext
from connectors.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    HTTPStatusError,
    InvalidInput,
    NotFound,
)
from connectors.http.client import SafeResponse

ENTITY_SETS = ("customers", "projects", "salesInvoices", "salesInvoiceLines", "customerPayments")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class BusinessCentralError(HTTPStatusError):
    error_code: str = ""


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    try:
        body = response.json()
    except ConnectorError:
        body = None
    err = body.get("error") if isinstance(body, Mapping) else None
    err = err if isinstance(err, Mapping) else {}
    code = str(err.get("code") or "")
    message = ctx.http.redactor.text(str(err.get("message") or ""))
    message = re.sub(r"\s*CorrelationId:.*$", "", message).strip()[:400]
    text = f"Business Central {method} failed (HTTP {response.status}" + (f", {code})" if code else ")")
    text += f": {message}" if message else "."
    excerpt = ctx.http.redactor.text(response.text[:500])
    if response.status == 412:
        return ConflictError(
            text,
            status=412,
            body_excerpt=excerpt,
            hint="The record changed since it was read (ETag mismatch). Read it again and re-apply the "
            "change, or leave the ETag empty to update the latest version.",
        )
    if response.status in (401, 403):
        return AuthError(
            text,
            status=response.status,
            body_excerpt=excerpt,
            hint="Check the app registration's API permissions and that it is set up in Business Central.",
        )
    if response.status == 404:
        return NotFound(text, status=404, body_excerpt=excerpt, hint="Check the company id and record id.")
    if response.status == 409:
        return ConflictError(text, status=409, body_excerpt=excerpt, hint="The record already exists.")
    error = BusinessCentralError(
        text, status=response.status, body_excerpt=excerpt, hint="Check the mapped fields and their types."
    )
    error.error_code = code
    return error


def guid(value: Any, what: str = "id") -> str:
    text = str(value or "").strip().strip("'{}")
    if not _GUID.match(text):
        raise InvalidInput(f"The {what} must be a GUID.", hint="Map the record's id field.")
    return text.lower()


def entity_set(value: str) -> str:
    if value not in ENTITY_SETS:
        raise InvalidInput(f"Entity set must be one of {', '.join(ENTITY_SETS)}.")
    return value


def company_id(ctx: ActionContext) -> str:
    """The connection's company: its id, or the company named ``company_name`` (looked up per call)."""
    if ctx.config.get("company_id"):
        return guid(ctx.config.get("company_id"), "company id")
    name = str(ctx.config.get("company_name") or "").strip()
    if not name:
        raise InvalidInput(
            "The connection names no company.",
            hint="Set the company id (or the company name) on the connection.",
        )
    for company in request(ctx, "GET", "/api/v2.0/companies").json().get("value") or []:
        if name.casefold() in (
            str(company.get("name")).casefold(),
            str(company.get("displayName")).casefold(),
        ):
            return guid(company.get("id"), "company id")
    raise NotFound(
        f"Business Central has no company named {name!r} in this environment.",
        status=404,
        hint="Check the company name, or set the company id instead.",
    )


def company_path(ctx: ActionContext) -> str:
    return f"/api/v2.0/companies({company_id(ctx)})"


def path(ctx: ActionContext, es: str, record_id: Any = None) -> str:
    base = f"{company_path(ctx)}/{entity_set(es)}"
    return base + (f"({guid(record_id)})" if record_id not in (None, "") else "")


def request(
    ctx: ActionContext,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> SafeResponse:
    response = ctx.http.request(
        method, url, params=params, json=json, headers=dict(headers or {}), raise_for_status=False
    )
    if response.status >= 400:
        raise error_from_response(ctx, method, response)
    return response


def list_entities(
    ctx: ActionContext,
    es: str,
    *,
    params: Mapping[str, Any] | None = None,
    max_records: int | None = None,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every page via ``@odata.nextLink`` (which already carries the query options)."""
    headers = {"Prefer": f"odata.maxpagesize={int(page_size)}"} if page_size else {}
    body = request(ctx, "GET", path(ctx, es), params=params, headers=headers).json() or {}
    count = 0
    while True:
        for entity in body.get("value") or []:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield entity
        next_link = body.get("@odata.nextLink")
        if not next_link or (max_records is not None and count >= max_records):
            return
        ctx.heartbeat()
        body = request(ctx, "GET", str(next_link), headers=headers).json() or {}


def clean(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``@odata.context`` but keep ``@odata.etag`` (needed for the next update)."""
    return {k: v for k, v in entity.items() if k != "@odata.context"}


def writable(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if not k.startswith("@odata") and k != "id"}


def odata_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
