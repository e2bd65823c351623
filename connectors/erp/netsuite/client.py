"""NetSuite REST web services plumbing: record API, SuiteQL paging, error mapping, currency look-ups.

* Create answers ``204 No Content`` with ``Location: .../record/v1/customer/1234``; the id is parsed
  from it. ``PUT .../customer/eid:{externalId}`` is an upsert (Using the Upsert Operation).
* SuiteQL is ``POST /services/rest/query/v1/suiteql?limit=&offset=`` with ``Prefer: transient``;
  pages follow ``hasMore`` (offset must be a multiple of limit).
* Errors are ``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode", "o:errorPath"}]}``
  (Error Handling in REST Web Services). A concurrency refusal (429, or ``CONCURRENCY_LIMIT_EXCEEDED``
  in any status) is :class:`RateLimited`: the safe client retries it with backoff, and the connector's
  RateLimit, keyed by the account, queues every connection's calls below the account's limit.
* Currencies are records with an ISO ``symbol``; references to them carry only an id and the currency's
  *name* as ``refName`` ("USA", "British pound"), so the symbol is looked up (one SuiteQL query per
  connection runtime, kept a few minutes), never assumed from an id.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from connectors.base import ActionContext
from connectors.errors import ConnectorError, HTTPStatusError, InvalidInput, NotFound, RateLimited
from connectors.http.client import SafeClient, SafeResponse
from connectors.http.errors import error_body, response_error

RECORD_ROOT = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
# REST record ids as the record pages of the NetSuite Help Center give them (lower case: the pages spell
# some of them in camel case, salesTaxItem, noninventorySaleItem; NetSuite matches them without case).
RECORD_TYPES = (
    "customer",
    "job",
    "invoice",
    "creditmemo",
    "customerpayment",
    "currency",
    "subsidiary",
    "term",
    "pricelevel",
    "department",
    "classification",
    "location",
    "servicesaleitem",
    "salestaxitem",
)
MAX_LIMIT = 1000
CURRENCY_TTL_S = 300.0

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
    name = str(value or "").lower()
    if name not in RECORD_TYPES:
        raise InvalidInput(f"Record type must be one of {', '.join(RECORD_TYPES)}.")
    return name


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
    """The record without its HATEOAS links; currency references carry the currency's ISO ``symbol``."""
    params: dict[str, Any] = {"expandSubResources": "true"} if expand else {}
    if fields:
        params["fields"] = ",".join(fields)
    record = strip_links(request(ctx, "GET", record_path(rtype, key), params=params).json())
    return with_currency_symbols(ctx, record)


def find_record(ctx: ActionContext, rtype: str, key: str, fields: list[str]) -> dict[str, Any] | None:
    """The record's given fields, or None when NetSuite has no such record."""
    try:
        body = request(ctx, "GET", record_path(rtype, key), params={"fields": ",".join(fields)}).json()
    except NotFound:
        return None
    return strip_links(body)


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


# --- currencies ------------------------------------------------------------------------------------

# Per connection runtime (its SafeClient), for a few minutes: a lookup table, not a source of truth; it
# goes with the runtime.
_CURRENCIES: weakref.WeakKeyDictionary[SafeClient, tuple[float, list[dict[str, str]]]] = (
    weakref.WeakKeyDictionary()
)
_CURRENCIES_LOCK = threading.Lock()
ISO_CODE = re.compile(r"^[A-Za-z]{3}$")


def currencies(ctx: ActionContext) -> list[dict[str, str]]:
    """Every currency of the account: ``[{"id", "symbol", "name"}]``."""
    now = time.monotonic()
    with _CURRENCIES_LOCK:
        cached = _CURRENCIES.get(ctx.http)
    if cached and cached[0] > now:
        return cached[1]
    rows = [
        {
            "id": str(r.get("id")),
            "symbol": str(r.get("symbol") or "").upper(),
            "name": str(r.get("name") or ""),
        }
        for r in suiteql(ctx, "SELECT id, symbol, name FROM currency ORDER BY id")
    ]
    with _CURRENCIES_LOCK:
        _CURRENCIES[ctx.http] = (now + CURRENCY_TTL_S, rows)
    return rows


def currency_id(ctx: ActionContext, code: str, *, field: str = "currency") -> str:
    wanted = str(code).strip().upper()
    for row in currencies(ctx):
        if row["symbol"] == wanted:
            return row["id"]
    raise InvalidInput(
        f"NetSuite has no currency {wanted} ({field}).",
        hint="Add it at Lists > Accounting > Currencies, or map a currency the account has.",
    )


def currency_symbol(ctx: ActionContext, rid: str) -> str | None:
    return next((row["symbol"] for row in currencies(ctx) if row["id"] == str(rid)), None)


def currency_ref(ctx: ActionContext, value: Any, *, field: str = "currency") -> Any:
    """An ISO code (``"EUR"`` or ``{"symbol": "EUR"}``) -> ``{"id": "4"}``; anything else as given."""
    symbol = value.get("symbol") if isinstance(value, Mapping) and "id" not in value else value
    if isinstance(symbol, str) and ISO_CODE.match(symbol.strip()):
        return {"id": currency_id(ctx, symbol, field=field)}
    return value


def with_currency_symbols(ctx: ActionContext, record: dict[str, Any]) -> dict[str, Any]:
    """Add the ISO ``symbol`` to the record's currency reference (looked up by id)."""
    ref = record.get("currency")
    if isinstance(ref, dict) and ref.get("id") not in (None, "") and "symbol" not in ref:
        symbol = currency_symbol(ctx, str(ref["id"]))
        if symbol:
            record = {**record, "currency": {**ref, "symbol": symbol}}
    return record


def write_fields(ctx: ActionContext, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The body to send: currencies given by ISO code resolved to their ids (body and pricing lines)."""
    body = dict(fields)
    if "currency" in body and body["currency"] is not None:
        body["currency"] = currency_ref(ctx, body["currency"])
    price = body.get("price")
    if isinstance(price, Mapping) and isinstance(price.get("items"), list):
        body["price"] = {
            **price,
            "items": [
                {**line, "currencyPage": currency_ref(ctx, line["currencyPage"], field="currencyPage")}
                if isinstance(line, Mapping) and line.get("currencyPage") is not None
                else line
                for line in price["items"]
            ],
        }
    return body
