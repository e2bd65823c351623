"""Business Central API v2.0 plumbing: company-scoped entity sets, OData paging, ETags and errors.

* URLs: ``{base}/api/v2.0/companies({companyId})/{entitySet}[({id})]`` for the standard API, and
  ``{base}/api/{publisher}/{group}/{version}/companies({companyId})/{entitySet}`` for a custom API page
  (https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/webservices/api-endpoint-structure).
* The company is the connection's id, or looked up by name once and cached (``COMPANY_TTL``).
* Lists follow ``@odata.nextLink`` (server-driven paging) until ``max_records``.
* Updates send ``If-Match: <@odata.etag>``; a 412 means someone changed the record since it was read
  and becomes :class:`ConflictError` with a hint.
* Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import ActionContext
from connectors.errors import ConnectorError, HTTPStatusError, InvalidInput, NotFound
from connectors.http.client import SafeResponse
from connectors.http.errors import error_body, response_error

ENTITY_SETS = (
    "customers",
    "projects",
    "salesInvoices",
    "salesInvoiceLines",
    "salesCreditMemos",
    "salesCreditMemoLines",
    "customerPaymentJournals",
    "customerPayments",
    "items",
    "taxGroups",
    "currencies",
    "generalLedgerEntries",
)
STANDARD_ROUTE = "v2.0"
_ROUTE = re.compile(r"^[A-Za-z0-9_]+/[A-Za-z0-9_]+/v\d+\.\d+$")
_ENTITY_SET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
COMPANY_TTL = 900.0  # seconds a company name -> id lookup is reused
_companies: dict[tuple[str, str], tuple[str, float]] = {}
_companies_lock = threading.Lock()
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# What to do, per failure status.
HINTS = {
    401: "Check the app registration's API permissions and that it is set up in Business Central.",
    403: "Check the app registration's API permissions and that it is set up in Business Central.",
    404: "Check the company id and record id.",
    409: "The record already exists.",
    412: "The record changed since it was read (ETag mismatch). Read it again and re-apply the change, "
    "or leave the ETag empty to update the latest version.",
}


class BusinessCentralError(HTTPStatusError):
    """A refused Business Central request; ``error_code`` is the error body's ``code``."""


def error_from_response(ctx: ActionContext, method: str, response: SafeResponse) -> ConnectorError:
    """Map a failed response (``{"error": {"code", "message"}}``) to a connector error."""
    body = error_body(response)
    err = body.get("error") if isinstance(body, Mapping) else None
    err = err if isinstance(err, Mapping) else {}
    # The correlation id helps Microsoft support, not the user reading the step's error.
    message = re.sub(r"\s*CorrelationId:.*$", "", str(err.get("message") or "")).strip()
    return response_error(
        "Business Central",
        method,
        response,
        redactor=ctx.http.redactor,
        message=message,
        code=str(err.get("code") or ""),
        hint=HINTS.get(response.status, "Check the mapped fields and their types."),
        refused=BusinessCentralError,
    )


def guid(value: Any, what: str = "id") -> str:
    text = str(value or "").strip().strip("'{}")
    if not _GUID.match(text):
        raise InvalidInput(f"The {what} must be a GUID.", hint="Map the record's id field.")
    return text.lower()


def api_route(value: Any) -> str:
    """``v2.0`` (the standard API) or a custom API page's ``{publisher}/{group}/{version}``."""
    text = str(value or "").strip().strip("/")
    if not text or text == STANDARD_ROUTE:
        return STANDARD_ROUTE
    if not _ROUTE.match(text):
        raise InvalidInput(
            "The API route must be publisher/group/version, e.g. contoso/app1/v1.0.",
            hint="Leave it empty for the standard API v2.0.",
        )
    return text


def entity_set(value: str, route: str = STANDARD_ROUTE) -> str:
    if route == STANDARD_ROUTE:
        if value not in ENTITY_SETS:
            raise InvalidInput(f"Entity set must be one of {', '.join(ENTITY_SETS)}.")
    elif not _ENTITY_SET_NAME.match(str(value or "")):
        raise InvalidInput(
            "Custom entity set: name the custom API page's entity set (its EntitySetName, e.g. "
            "billingSchedules)."
        )
    return value


def company_id(ctx: ActionContext) -> str:
    """The connection's company: its id, or the company named ``company_name`` (looked up once, then
    cached for ``COMPANY_TTL`` seconds per environment URL and name)."""
    if ctx.config.get("company_id"):
        return guid(ctx.config.get("company_id"), "company id")
    name = str(ctx.config.get("company_name") or "").strip()
    if not name:
        raise InvalidInput(
            "The connection names no company.",
            hint="Set the company id (or the company name) on the connection.",
        )
    key = (str(ctx.config.get("base_url") or "").rstrip("/"), name.casefold())
    with _companies_lock:
        cached = _companies.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    for company in request(ctx, "GET", "/api/v2.0/companies").json().get("value") or []:
        if name.casefold() in (
            str(company.get("name")).casefold(),
            str(company.get("displayName")).casefold(),
        ):
            found = guid(company.get("id"), "company id")
            with _companies_lock:
                _companies[key] = (found, time.monotonic() + COMPANY_TTL)
            return found
    raise NotFound(
        f"Business Central has no company named {name!r} in this environment.",
        status=404,
        hint="Check the company name, or set the company id instead.",
    )


def forget_companies() -> None:
    """Drop cached company lookups (tests; a renamed company)."""
    with _companies_lock:
        _companies.clear()


def company_path(ctx: ActionContext, route: str = STANDARD_ROUTE) -> str:
    return f"/api/{route}/companies({company_id(ctx)})"


def path(ctx: ActionContext, es: str, record_id: Any = None, route: str = STANDARD_ROUTE) -> str:
    base = f"{company_path(ctx, route)}/{entity_set(es, route)}"
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
    route: str = STANDARD_ROUTE,
) -> Iterator[dict[str, Any]]:
    """Every page via ``@odata.nextLink`` (which already carries the query options)."""
    headers = {"Prefer": f"odata.maxpagesize={int(page_size)}"} if page_size else {}
    body = request(ctx, "GET", path(ctx, es, route=route), params=params, headers=headers).json() or {}
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
