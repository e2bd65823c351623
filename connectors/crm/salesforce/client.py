"""Salesforce REST API plumbing shared by the Salesforce and Certinia connectors.

* Requests go to the ``instance_url`` the OAuth token response names (falling back to the connection's
  base URL), under ``/services/data/v{api_version}``.
* Error bodies ``[{"message", "errorCode", "fields"}]`` become connector errors with a hint.
  ``INVALID_SESSION_ID`` (401) is renewed by the safe client itself: it calls the auth's
  ``on_unauthorized`` once and repeats the request, so an expired session costs one token call.
* SOQL results are followed through ``nextRecordsUrl`` until done or ``max_records``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import ActionContext, ApiUsage
from connectors.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    HTTPStatusError,
    NotFound,
    RateLimited,
)
from connectors.http.auth import OAuth2Auth
from connectors.http.client import SafeResponse, origin
from connectors.http.errors import error_body, response_error

DEFAULT_API_VERSION = "60.0"
COLLECTION_LIMIT = 200  # records per composite sObject collection request

# errorCode -> what the user can do about it.
HINTS: dict[str, str] = {
    "INVALID_SESSION_ID": "The session was refused even after renewing the token; reconnect the connection.",
    "REQUEST_LIMIT_EXCEEDED": "The org's API request limit is reached; the step will retry later.",
    "REQUIRED_FIELD_MISSING": "Map a value to every required field.",
    "INVALID_FIELD": "Check the field API names (custom fields end in __c) and the field-level security.",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "Remove read-only fields (formulas, system fields) from the input.",
    "MALFORMED_QUERY": "Check the SOQL syntax; text values need single quotes, dates and numbers do not.",
    "INVALID_TYPE": "Check the sObject API name (custom objects end in __c).",
    "MALFORMED_ID": "An id is malformed or points to the wrong object type.",
    "INVALID_CROSS_REFERENCE_KEY": "A referenced record id does not exist.",
    "DUPLICATE_VALUE": "A unique field already has this value; upsert by external id instead of create.",
    "DUPLICATE_EXTERNAL_ID": "Several records share this external id; make the field unique.",
    "ENTITY_IS_DELETED": "The record was deleted.",
    "NOT_FOUND": "Check the record id, object name or external id.",
    "INVALID_QUERY_LOCATOR": "The query cursor expired; run the query again.",
    "JSON_PARSER_ERROR": "A field value has the wrong type (numbers, booleans, dates as YYYY-MM-DD).",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "A validation rule in the org refused the record.",
    "STRING_TOO_LONG": "A text value is longer than the field allows.",
}


class SalesforceError(HTTPStatusError):
    """A refused Salesforce request; ``fields`` (like ``error_code``) come from the first error item."""

    fields: list[str] = []


def _first_error(body: Any) -> tuple[str, str, list[str]]:
    item: Any = body[0] if isinstance(body, list) and body else body
    if isinstance(item, Mapping):
        code = str(item.get("errorCode") or item.get("statusCode") or item.get("error") or "")
        message = str(item.get("message") or item.get("error_description") or "")
        fields = [str(f) for f in item.get("fields") or []]
        return code, message, fields
    return "", "", []


def _error_class(status: int, code: str) -> type[ConnectorError] | None:
    """Where the error code says more than the status; None: the status decides."""
    if code == "REQUEST_LIMIT_EXCEEDED":  # the org's daily limit, answered with a 403
        return RateLimited
    if status in (401, 403):
        return SalesforceError if code == "INSUFFICIENT_ACCESS_OR_READONLY" else AuthError
    if status == 404 or code in ("NOT_FOUND", "ENTITY_IS_DELETED"):
        return NotFound
    if status == 300 or code in ("DUPLICATE_VALUE", "DUPLICATE_EXTERNAL_ID"):
        return ConflictError  # 300: several records match the external id
    return None


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    """Map a >= 300 Salesforce response (``[{"message", "errorCode", "fields"}]``) to a connector error."""
    code, message, fields = _first_error(error_body(response))
    kind = _error_class(response.status, code)
    hint = HINTS.get(code, "Salesforce refused the request; check the mapped fields.")
    if fields:
        hint += f" Fields: {', '.join(fields)}."
    several = response.status == 300 and kind is ConflictError
    if several:
        hint = HINTS["DUPLICATE_EXTERNAL_ID"]
    error = response_error(
        "Salesforce",
        method,
        response,
        redactor=ctx.http.redactor,
        message=message,
        code=code,
        hint=hint,
        kind=kind,
        refused=SalesforceError,
        default_retry_after=300.0,
    )
    if several:
        error.error_code = code or "DUPLICATE_EXTERNAL_ID"
    error.fields = fields  # type: ignore[attr-defined]
    return error


def api_version(ctx: ActionContext) -> str:
    return str(ctx.config.get("api_version") or DEFAULT_API_VERSION).lstrip("vV")


def instance_url(ctx: ActionContext) -> str:
    """Where the API lives: the token response's ``instance_url`` when the auth is OAuth, else base URL.

    Credentials are only ever sent to the connection's own origin, so an instance URL elsewhere is
    refused with a hint instead of silently sending an unauthenticated request.
    """
    base = str(ctx.http.base_url or ctx.config.get("base_url") or "").rstrip("/")
    auth = ctx.http.auth
    if isinstance(auth, OAuth2Auth):
        raw = auth.current_token(ctx.http).raw
        named = str(raw.get("instance_url") or "").rstrip("/")
        if named:
            if origin(named) != origin(base):
                raise AuthError(
                    "The token was issued for another Salesforce instance than the connection's base URL.",
                    status=0,
                    hint=f"Set the connection's Instance URL to {origin(named)[0]}://{origin(named)[1]}.",
                )
            return named
    return base


def api_root(ctx: ActionContext) -> str:
    return f"{instance_url(ctx)}/services/data/v{api_version(ctx)}"


def request(
    ctx: ActionContext,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> SafeResponse:
    """One call below ``/services/data/vXX.X`` (or an absolute/instance-relative ``/services/...`` path)."""
    if path.startswith(("http://", "https://")):
        url = path
    elif path.startswith("/services/"):
        url = instance_url(ctx) + path
    else:
        url = api_root(ctx) + "/" + path.lstrip("/")
    response = ctx.http.request(
        method, url, params=params, json=json, headers=dict(headers or {}), raise_for_status=False
    )
    if response.status >= 300:
        raise error_from_response(ctx, method, response)
    return response


def api_usage(response: SafeResponse) -> ApiUsage | None:
    """The org's API requests in the last 24 hours and its allowance, from ``Sforce-Limit-Info:
    api-usage=18/5000`` (Salesforce adds it to REST responses; ``per-app-api-usage`` is left aside)."""
    header = response.headers.get("Sforce-Limit-Info") or ""
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "api-usage":
            used, _, limit = value.strip().partition("/")
            if used.isdigit() and limit.isdigit():
                return ApiUsage(used=int(used), limit=int(limit))
    return None


def probe(ctx: ActionContext) -> str:
    """Read the org's limits: proves the token, the instance URL and the API version."""
    request(ctx, "GET", "limits")
    return f"Connected to {instance_url(ctx)} (API v{api_version(ctx)})."


def strip_attributes(value: Any) -> Any:
    """Drop the ``attributes`` blocks SOQL puts on every record and parent (keep the data only)."""
    if isinstance(value, dict):
        return {k: strip_attributes(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [strip_attributes(v) for v in value]
    return value


def query_records(
    ctx: ActionContext,
    soql: str,
    *,
    max_records: int | None = None,
    include_deleted: bool = False,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield records of every page (``nextRecordsUrl``) until done or ``max_records`` were yielded."""
    headers = {"Sforce-Query-Options": f"batchSize={int(page_size)}"} if page_size else {}
    response = request(
        ctx, "GET", "queryAll" if include_deleted else "query", params={"q": soql}, headers=headers
    )
    count = 0
    while True:
        body = response.json() or {}
        for record in body.get("records") or []:
            if max_records is not None and count >= max_records:
                return
            count += 1
            yield record
        next_url = body.get("nextRecordsUrl")
        if body.get("done", True) or not next_url:
            return
        if max_records is not None and count >= max_records:
            return
        ctx.heartbeat()
        response = request(ctx, "GET", str(next_url), headers=headers)
