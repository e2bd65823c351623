"""Dynamics 365 Business Central (API v2.0): customers, projects, sales invoices and credit memos (+ lines,
posted with ``Microsoft.NAV.post``), customer payment journals and their payments, and custom API pages
(``/api/{publisher}/{group}/{version}``) in one company. Node ids: ``erp.dynamics.<action>``.

Creates are replay-safe: each entity set has a documented natural key (``NATURAL_KEYS``); a create first
looks the key up and answers the record it finds, and a create inside a run with no key given gets one
derived from the step's idempotency key, so a replayed or redelivered step finds its first attempt's record.

* A sales invoice or credit memo given its lines (``salesInvoiceLines`` / ``salesCreditMemoLines`` in the
  fields) is one deep insert (``POST salesInvoices?$expand=salesInvoiceLines``): Business Central creates the
  document and its lines in one transaction, so a worker killed mid-create leaves all of it or none. Found
  again on a replay (same ``externalDocumentNumber``), a draft gets only the lines it lacks, keyed by
  ``sequence`` (the line number; lines given without one are numbered 10000, 20000, ... in order).
* A line created on its own is keyed by ``sequence`` too: the given one, or inside a run one derived from
  the step's idempotency key; a line with that sequence already on the document is answered instead.
* A payment journal line leaves the journal when the journal is posted, so a payment is also looked up
  among the posted entries: its ``documentNumber`` (given, or derived from its external document number)
  survives posting on the G/L entries (``generalLedgerEntries``, documentType ``Payment``).
* Posting an already posted document, or a journal with nothing left to post, answers what is there
  instead of failing (``already_posted``), so a replayed post step succeeds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Action,
    ActionContext,
    Connector,
    PollResult,
    Trigger,
    object_schema,
)
from connectors.errors import ConnectorError, InvalidInput, NotFound
from connectors.http.ratelimit import RateLimit
from connectors.polling import Position, collect, iso_millis, parse_timestamp

from . import auth, canonical, client

ENTITY_SET = {"type": "string", "title": "Entity", "enum": list(client.ENTITY_SETS), "default": "customers"}
API_ROUTE = {
    "type": "string",
    "title": "API route (custom API page)",
    "pattern": r"^([A-Za-z0-9_]+/[A-Za-z0-9_]+/v\d+\.\d+|v2\.0)?$",
    "description": "publisher/group/version of a custom API page, e.g. contoso/app1/v1.0. Empty: the "
    "standard API v2.0.",
}
CUSTOM_ENTITY_SET = {
    "type": "string",
    "title": "Custom entity set",
    "pattern": "^([A-Za-z][A-Za-z0-9_]{0,79})?$",
    "description": "With an API route: the custom page's EntitySetName (e.g. billingSchedules); it "
    "replaces Entity.",
}
RECORD_ID = {"type": "string", "title": "Id (GUID)", "pattern": "^'?[0-9a-fA-F-]{36}'?$"}
FIELDS = {
    "type": "object",
    "title": "Fields",
    "description": 'Properties as the API names them, e.g. {"displayName": "Acme", "email": "ap@acme.com"}',
}
ETAG = {
    "type": "string",
    "title": "ETag (@odata.etag)",
    "description": "From the record you read; a changed record then fails instead of being overwritten. "
    "Empty: the current version is read first.",
}
ENTITY_OUT = {"type": "object", "properties": {"id": {"type": "string"}, "@odata.etag": {"type": "string"}}}
POLLABLE = ("customers", "salesInvoices", "salesCreditMemos", "customerPayments")
POSTABLE = ("salesInvoices", "salesCreditMemos", "customerPaymentJournals")
# The property that identifies a record to its owner (documented, writable) and its length: looked up
# before a create, and derived from the step's idempotency key when a run gives none.
NATURAL_KEYS: dict[str, tuple[str, int]] = {
    "customers": ("number", 20),
    "projects": ("number", 20),
    "salesInvoices": ("externalDocumentNumber", 35),
    "salesCreditMemos": ("externalDocumentNumber", 35),
    "customerPayments": ("externalDocumentNumber", 35),
    "customerPaymentJournals": ("code", 10),
}
# Documents whose lines are created below them: POST {parent}({id})/{lines}.
PARENTS = {
    "salesInvoiceLines": ("salesInvoices", "documentId"),
    "salesCreditMemoLines": ("salesCreditMemos", "documentId"),
}
# A document's lines navigation property (deep insert, $expand).
LINES = {parent: lines for lines, (parent, _) in PARENTS.items()}
LINE_STEP = 10000  # Business Central numbers lines 10000, 20000, ...
PAYMENT_DOCUMENT_NUMBER = 20  # customerPayment.documentNumber is a Code[20]
DIALOG = "Application_DialogException"  # what Business Central answers to a post it refuses
ROUTE_PARAMS = {"api_route": API_ROUTE, "custom_entity_set": CUSTOM_ENTITY_SET}


def target(params: Mapping[str, Any]) -> tuple[str, str]:
    """(entity set, API route): the standard entity, or the custom page's entity set on its route."""
    route = client.api_route(params.get("api_route"))
    if route == client.STANDARD_ROUTE:
        return client.entity_set(str(params.get("entity_set") or "")), route
    return client.entity_set(str(params.get("custom_entity_set") or ""), route), route


def derived_key(idempotency_key: str, length: int) -> str:
    """A key value made from the step's idempotency key: ``FB`` + hex digits, fitting the field."""
    return "FB" + hashlib.sha256(idempotency_key.encode()).hexdigest()[: length - 2].upper()


def derived_sequence(idempotency_key: str) -> int:
    """A line number made from the step's idempotency key, within Business Central's Integer (Line No.)
    and above the numbers it gives lines itself (10000, 20000, ...)."""
    return 1_000_000 + int(hashlib.sha256(idempotency_key.encode()).hexdigest()[:12], 16) % 2_000_000_000


def payment_document_number(external_document_number: str) -> str:
    """The document number a payment posts under, made from its external document number (upper case:
    Business Central keeps Code fields in upper case)."""
    return derived_key("payment " + external_document_number, PAYMENT_DOCUMENT_NUMBER)


def run_list(ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    es, route = target(params)
    query: dict[str, Any] = {}
    for name in ("filter", "orderby", "select", "expand", "top", "skip"):
        if params.get(name) not in (None, ""):
            query[f"${name}"] = params[name]
    rows = client.list_entities(
        ctx,
        es,
        params=query,
        max_records=int(params.get("max_records", 5000)),
        page_size=params.get("page_size"),
        route=route,
    )
    return (client.clean(r) for r in rows)  # paged in (@odata.nextLink) as read


def run_get(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    es, route = target(params)
    query = {"$expand": params["expand"]} if params.get("expand") else None
    url = client.path(ctx, es, params["id"], route=route)
    return client.clean(client.request(ctx, "GET", url, params=query).json())


def find_by_key(
    ctx: ActionContext, es: str, field: str, value: str, journal_id: str | None = None
) -> dict[str, Any] | None:
    """The record whose ``field`` is ``value`` (a payment: within its journal), or None."""
    flt = f"{field} eq {client.odata_string(value)}"
    if journal_id:
        flt += f" and journalId eq {journal_id}"
    found = list(client.list_entities(ctx, es, params={"$filter": flt}, max_records=1))
    return client.clean(found[0]) if found else None


def line_number(value: Any, what: str) -> int:
    """A line's ``sequence``: an integer (an integral float from an expression is taken as one)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput(f"{what}: sequence must be a positive integer (the line number).")
    return value


def numbered_lines(lines: Any, what: str) -> list[dict[str, Any]]:
    """The lines of a deep insert, each with its ``sequence`` (given, or 10000, 20000, ... in order)."""
    if not isinstance(lines, list) or not all(isinstance(line, Mapping) for line in lines):
        raise InvalidInput(f"{what} must be a list of line objects.")
    out = []
    for index, line in enumerate(lines):
        row = client.writable(line)
        row.pop("documentId", None)
        if row.get("sequence") in (None, ""):
            row["sequence"] = (index + 1) * LINE_STEP
        else:
            row["sequence"] = line_number(row["sequence"], what)
        out.append(row)
    sequences = [row["sequence"] for row in out]
    if len(set(sequences)) != len(sequences):
        raise InvalidInput(f"{what}: two lines have the same sequence.")
    return out


def document_lines(ctx: ActionContext, es: str, doc_id: str, sequence: int | None = None) -> list[dict]:
    """The lines of a document (only the one numbered ``sequence``, when given), every page."""
    params = {"$filter": f"sequence eq {int(sequence)}"} if sequence is not None else None
    url: str | None = f"{client.company_path(ctx)}/{es}({doc_id})/{LINES[es]}"
    rows: list[dict] = []
    while url:
        body = client.request(ctx, "GET", url, params=params).json() or {}
        rows += [client.clean(r) for r in body.get("value") or []]
        url, params = body.get("@odata.nextLink"), None
    return rows


def complete_document(ctx: ActionContext, es: str, doc: dict[str, Any], lines: list[dict]) -> dict[str, Any]:
    """A document found again (a replay): a draft gets the lines it lacks (by sequence); a posted one
    cannot change and is answered as it is."""
    if str(doc.get("status") or "Draft") != "Draft":
        return {**doc, "created": False, "lines_added": 0}
    have = document_lines(ctx, es, doc["id"])
    numbers = {row.get("sequence") for row in have}
    url = f"{client.company_path(ctx)}/{es}({doc['id']})/{LINES[es]}"
    added = [
        client.clean(client.request(ctx, "POST", url, json=line).json())
        for line in lines
        if line["sequence"] not in numbers
    ]
    return {**doc, LINES[es]: have + added, "created": False, "lines_added": len(added)}


def find_posted_payment(ctx: ActionContext, document_number: str) -> dict[str, Any] | None:
    """A posted payment: its G/L entries under ``document_number`` (the journal line itself is gone)."""
    flt = f"documentNumber eq {client.odata_string(document_number)} and documentType eq 'Payment'"
    rows = list(client.list_entities(ctx, "generalLedgerEntries", params={"$filter": flt}))
    if not rows:
        return None
    return {
        "id": rows[0].get("id"),
        "documentNumber": document_number,
        "postingDate": rows[0].get("postingDate"),
        "posted": True,
        "generalLedgerEntries": [client.clean(r) for r in rows],
    }


def run_create(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST`` -> 201 with the new entity (including its ``@odata.etag``); lines below their document,
    payments below their journal, a document with its lines as one deep insert. A record with the same
    natural key is answered instead of a second one (``created: false``)."""
    es, route = target(params)
    fields = dict(params["fields"])
    if route != client.STANDARD_ROUTE:
        body = client.request(ctx, "POST", client.path(ctx, es, route=route), json=client.writable(fields))
        return {**client.clean(body.json()), "created": True}
    if es in PARENTS:
        return create_line(ctx, es, fields)
    lines = None
    if es in LINES and fields.get(LINES[es]) is not None:
        lines = numbered_lines(fields.pop(LINES[es]), LINES[es])
    journal = None
    if es == "customerPayments" and fields.get("journalId"):
        journal = client.guid(fields.pop("journalId"), "journalId (customer payment journal id)")
    natural = NATURAL_KEYS.get(es)
    if natural:
        name, length = natural
        value = str(fields.get(name) or "").strip()
        if not value and ctx.idempotency_key:
            value = fields[name] = derived_key(ctx.idempotency_key, length)
        if value:
            existing = find_by_key(ctx, es, name, value, journal)
            if existing is not None:
                if lines is not None:
                    return complete_document(ctx, es, existing, lines)
                return {**existing, "created": False}
            if es == "customerPayments":
                number = str(fields.get("documentNumber") or "").strip()
                if not number:
                    number = fields["documentNumber"] = payment_document_number(value)
                posted = find_posted_payment(ctx, number)
                if posted is not None:
                    return {**posted, "externalDocumentNumber": value, "created": False}
    if journal:
        url = f"{client.company_path(ctx)}/customerPaymentJournals({journal})/customerPayments"
    else:
        url = client.path(ctx, es)
    query = None
    if lines is not None:
        fields[LINES[es]] = lines
        query = {"$expand": LINES[es]}
    body = client.request(ctx, "POST", url, params=query, json=client.writable(fields)).json()
    return {**client.clean(body), "created": True}


def create_line(ctx: ActionContext, es: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST {document}({id})/{lines}``. Keyed by ``sequence`` (given, or derived from the step's
    idempotency key inside a run): a line with that number already on the document is answered."""
    parent, key = PARENTS[es]
    doc = client.guid(fields.pop(key, None), f"{key} (the {parent[:-1]} id)")
    sequence = fields.get("sequence")
    if sequence in (None, "") and ctx.idempotency_key:
        sequence = fields["sequence"] = derived_sequence(ctx.idempotency_key)
    if sequence not in (None, ""):
        sequence = fields["sequence"] = line_number(sequence, es)
        found = document_lines(ctx, parent, doc, sequence)
        if found:
            return {**found[0], "created": False}
    url = f"{client.company_path(ctx)}/{parent}({doc})/{es}"
    return {
        **client.clean(client.request(ctx, "POST", url, json=client.writable(fields)).json()),
        "created": True,
    }


def run_update(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH`` with ``If-Match``: the given ETag, or the current one (read first) when none is given."""
    es, route = target(params)
    url = client.path(ctx, es, params["id"], route=route)
    etag = params.get("etag") or client.request(ctx, "GET", url).json().get("@odata.etag") or "*"
    response = client.request(
        ctx, "PATCH", url, json=client.writable(params["fields"]), headers={"If-Match": str(etag)}
    )
    return client.clean(response.json() or {"id": client.guid(params["id"])})


def run_delete(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    es, route = target(params)
    url = client.path(ctx, es, params["id"], route=route)
    try:
        etag = params.get("etag") or client.request(ctx, "GET", url).json().get("@odata.etag") or "*"
        client.request(ctx, "DELETE", url, headers={"If-Match": str(etag)})
    except NotFound:
        if not params.get("ignore_missing"):
            raise
        return {"id": client.guid(params["id"]), "deleted": False}
    return {"id": client.guid(params["id"]), "deleted": True}


def run_post(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Bound action ``POST {entitySet}({id})/Microsoft.NAV.post`` (204): a draft invoice or credit memo
    is posted (and can no longer be edited); a customer payment journal's payments are posted, which is
    when they reduce the invoices they apply to. Refused because it is done already (a posted document, a
    journal with no lines left), it answers ``already_posted`` instead: a replayed post step succeeds."""
    es = str(params["entity_set"])
    if es not in POSTABLE:
        raise InvalidInput(f"Only {', '.join(POSTABLE)} can be posted.")
    url = client.path(ctx, es, params["id"])
    try:
        client.request(ctx, "POST", f"{url}/Microsoft.NAV.post")
    except ConnectorError as exc:
        # Business Central refuses both as a dialog (Application_DialogException): read what is there.
        if getattr(exc, "error_code", "") != DIALOG or not already_posted(ctx, es, params["id"]):
            raise
        return {"id": client.guid(params["id"]), "entity_set": es, "posted": True, "already_posted": True}
    return {"id": client.guid(params["id"]), "entity_set": es, "posted": True}


def already_posted(ctx: ActionContext, es: str, record_id: Any) -> bool:
    """After a refused post: is there nothing left to post (a posted document, an empty journal)?"""
    if es == "customerPaymentJournals":
        url = f"{client.path(ctx, es, record_id)}/customerPayments"
        return not (client.request(ctx, "GET", url).json() or {}).get("value")
    doc = client.request(ctx, "GET", client.path(ctx, es, record_id)).json() or {}
    return str(doc.get("status") or "Draft") != "Draft"


def run_find_or_create_customer(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Look the customer up by ``number`` and create it only when absent: replaying never duplicates."""
    number = str(params["number"])
    existing = find_by_key(ctx, "customers", "number", number)
    if existing is not None:
        if params.get("update_existing", True) and params.get("fields"):
            existing = run_update(
                ctx,
                {
                    "entity_set": "customers",
                    "id": existing["id"],
                    "etag": existing.get("@odata.etag"),
                    "fields": params["fields"],
                },
            )
        return {**existing, "created": False}
    fields = {**dict(params.get("fields") or {}), "number": number}
    created = client.request(ctx, "POST", client.path(ctx, "customers"), json=client.writable(fields)).json()
    return {**client.clean(created), "created": True}


# --- webhook subscriptions ---------------------------------------------------------------------------
SUBSCRIPTION_ID = {"type": "string", "title": "Subscription id", "pattern": "^[0-9a-fA-F]{32}$"}


def subscription_path(route: str, subscription_id: Any = None) -> str:
    base = f"/api/{route}/subscriptions"
    if subscription_id in (None, ""):
        return base
    sid = str(subscription_id).strip("'")
    if not re.fullmatch(r"[0-9a-fA-F]{32}", sid):
        raise InvalidInput("The subscription id is 32 hexadecimal digits.")
    return f"{base}('{sid}')"


def run_create_subscription(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /api/v2.0/subscriptions`` (a custom page's: on its route) with ``notificationUrl``,
    ``resource`` (the company's collection) and ``clientState``. Business Central first calls the URL with
    ``?validationToken=`` and creates the subscription (201) only when the token comes back; it expires
    after 3 days unless renewed (``update_subscription``)."""
    es, route = target(params)
    body = {
        "notificationUrl": str(params["notification_url"]),
        "resource": f"{client.company_path(ctx, route)}/{es}",
    }
    if params.get("client_state"):
        body["clientState"] = str(params["client_state"])
    return client.clean(client.request(ctx, "POST", subscription_path(route), json=body).json())


def run_update_subscription(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Renew: read the subscription, then ``PATCH subscriptions('{id}')`` with ``If-Match`` and its
    notificationUrl, resource and clientState (a new notification URL or client state when given); the
    handshake runs again and the expiry moves 3 days on."""
    route = client.api_route(params.get("api_route"))
    url = subscription_path(route, params["subscription_id"])
    current = client.request(ctx, "GET", url).json() or {}
    body = {
        "notificationUrl": str(params.get("notification_url") or current.get("notificationUrl") or ""),
        "resource": str(current.get("resource") or ""),
        "clientState": str(params.get("client_state") or current.get("clientState") or ""),
    }
    etag = str(current.get("@odata.etag") or "*")
    return client.clean(client.request(ctx, "PATCH", url, json=body, headers={"If-Match": etag}).json())


def run_delete_subscription(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    route = client.api_route(params.get("api_route"))
    url = subscription_path(route, params["subscription_id"])
    try:
        etag = str(client.request(ctx, "GET", url).json().get("@odata.etag") or "*")
        client.request(ctx, "DELETE", url, headers={"If-Match": etag})
    except NotFound:
        if not params.get("ignore_missing"):
            raise
        return {"subscriptionId": params["subscription_id"], "deleted": False}
    return {"subscriptionId": params["subscription_id"], "deleted": True}


def renew_expiring(
    ctx: ActionContext,
    url_prefix: str,
    within: timedelta,
    now: datetime | None = None,
    routes: Iterable[str] = (client.STANDARD_ROUTE,),
) -> list[str]:
    """Renew this connection's subscriptions that notify a URL under ``url_prefix`` (ours) and expire
    within ``within``, on each API route in ``routes`` (a custom page's subscriptions live on its own
    route): Business Central drops a subscription 3 days after its last renewal."""
    now = now or datetime.now(UTC)
    renewed = []
    for route in dict.fromkeys(client.api_route(r) for r in routes):
        listed = client.request(ctx, "GET", subscription_path(route)).json() or {}
        for sub in listed.get("value") or []:
            if not str(sub.get("notificationUrl") or "").startswith(url_prefix):
                continue
            expires = sub.get("expirationDateTime")
            if expires and parse_timestamp(expires) - now > within:
                continue
            run_update_subscription(ctx, {"subscription_id": sub["subscriptionId"], "api_route": route})
            renewed.append(str(sub["subscriptionId"]))
    return renewed


def notifications(body: Any, client_state: str | None = None) -> list[dict[str, Any]]:
    """The changes in a notification body ``{"value": [{"subscriptionId", "clientState",
    "expirationDateTime", "resource", "changeType", "lastModifiedDateTime"}]}``; with ``client_state``,
    only those carrying it (a notification that does not is not from our subscription)."""
    rows = body.get("value") if isinstance(body, Mapping) else None
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping):
            continue
        if client_state is not None and row.get("clientState") != client_state:
            continue
        out.append({k: row.get(k) for k in NOTIFICATION_FIELDS})
    return out


NOTIFICATION_FIELDS = (
    "subscriptionId",
    "clientState",
    "expirationDateTime",
    "resource",
    "changeType",
    "lastModifiedDateTime",
)
SUBSCRIPTION_OUT = {
    "type": "object",
    "properties": {"subscriptionId": {"type": "string"}, "expirationDateTime": {"type": "string"}},
}


# --- polling ---------------------------------------------------------------------------------------


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    """``$filter=lastModifiedDateTime ge <ts>`` ordered by it and id; the ``{"ts", "ids"}`` cursor moves
    as ``connectors.polling`` describes."""
    es = str(config["entity_set"])
    if es not in POLLABLE:
        raise InvalidInput(f"Polling needs lastModifiedDateTime; use one of {', '.join(POLLABLE)}.")
    max_records = int(config.get("max_records", 500))
    if not cursor:
        since = config.get("since")
        cursor = {"ts": iso_millis(parse_timestamp(since) if since else datetime.now(UTC)), "ids": []}
    start = Position.load(cursor, parse_timestamp)
    query = {
        "$filter": f"lastModifiedDateTime ge {iso_millis(start.ts)}",
        "$orderby": "lastModifiedDateTime,id",
    }
    return collect(
        client.list_entities(ctx, es, params=query, max_records=max_records + len(start.ids)),
        start,
        limit=max_records,
        timestamp=lambda row: parse_timestamp(row["lastModifiedDateTime"]),
        record_id=lambda row: row["id"],
        item=client.clean,
        fmt=iso_millis,
        object_name=es,
    )


class DynamicsConnector(Connector):
    key = "dynamics"
    name = "Dynamics 365 Business Central"
    category = "ERP"
    icon = "dynamics"
    version = "1.0.0"
    description = (
        "Business Central API v2.0: customers, projects, sales invoices and credit memos, payment "
        "journals and payments, custom API pages."
    )
    docs = "connectors/erp/dynamics/README.md"
    credential_types = auth.CREDENTIAL_TYPES
    config_schema = {
        "type": "object",
        "required": ["base_url"],
        "additionalProperties": False,
        "properties": {
            "base_url": {
                "type": "string",
                "title": "Environment URL",
                "format": "uri",
                "pattern": "^https?://",
                "description": "https://api.businesscentral.dynamics.com/v2.0/{tenant id}/{environment}",
            },
            "company_id": {
                "type": "string",
                "title": "Company id (GUID)",
                "pattern": "^[0-9a-fA-F-]{36}$",
            },
            "company_name": {
                "type": "string",
                "title": "Company name",
                "maxLength": 100,
                "description": "Used when no company id is set: the company with this name (looked up "
                "once and cached for 15 minutes).",
            },
        },
    }
    # Business Central allows 5 concurrent OData requests per user (more queue server-side, then 429).
    rate_limit = RateLimit(rate=10.0, burst=20, max_concurrency=5)
    canonical_mappings = canonical.MAPPINGS
    actions = (
        Action(
            key="list_records",
            name="List records",
            description="List records (standard entities, or a custom API page's) with OData options; "
            "follows @odata.nextLink.",
            run=run_list,
            input_schema=object_schema(
                ["entity_set"],
                entity_set=ENTITY_SET,
                filter={"type": "string", "title": "$filter", "description": "e.g. balanceDue gt 0"},
                orderby={"type": "string", "title": "$orderby"},
                select={"type": "string", "title": "$select", "description": "e.g. id,number,displayName"},
                expand={"type": "string", "title": "$expand", "description": "e.g. salesInvoiceLines"},
                top={"type": "integer", "title": "$top", "minimum": 0},
                skip={"type": "integer", "title": "$skip", "minimum": 0},
                max_records={"type": "integer", "title": "Maximum records", "minimum": 1, "default": 5000},
                page_size={"type": "integer", "title": "Page size (odata.maxpagesize)", "minimum": 1},
                **ROUTE_PARAMS,
            ),
            output_schema=ENTITY_OUT,
        ),
        Action(
            key="get_record",
            name="Get record",
            description="Read one record by id (the answer carries its @odata.etag).",
            run=run_get,
            input_schema=object_schema(
                ["entity_set", "id"],
                entity_set=ENTITY_SET,
                id=RECORD_ID,
                expand={"type": "string", "title": "$expand"},
                **ROUTE_PARAMS,
            ),
            output_schema=ENTITY_OUT,
        ),
        Action(
            key="create_record",
            name="Create record",
            description="Create a record (POST, 201). Lines need documentId (the invoice or credit memo "
            "id); a payment goes into the journal named by journalId (else the default one). Replay-safe: "
            "a record with the same number / externalDocumentNumber / code is returned instead.",
            run=run_create,
            input_schema=object_schema(
                ["entity_set", "fields"], entity_set=ENTITY_SET, fields=FIELDS, **ROUTE_PARAMS
            ),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
        Action(
            key="update_record",
            name="Update record",
            description="Change properties (PATCH with If-Match). A 412 means the record changed since "
            "it was read.",
            run=run_update,
            input_schema=object_schema(
                ["entity_set", "id", "fields"],
                entity_set=ENTITY_SET,
                id=RECORD_ID,
                etag=ETAG,
                fields=FIELDS,
                **ROUTE_PARAMS,
            ),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
        Action(
            key="delete_record",
            name="Delete record",
            description="Delete a record (DELETE with If-Match).",
            run=run_delete,
            input_schema=object_schema(
                ["entity_set", "id"],
                entity_set=ENTITY_SET,
                id=RECORD_ID,
                etag=ETAG,
                ignore_missing={"type": "boolean", "title": "Succeed if already deleted", "default": False},
                **ROUTE_PARAMS,
            ),
            output_schema={"type": "object"},
            writes=True,
        ),
        Action(
            key="post_document",
            name="Post document or journal",
            description="Post a draft sales invoice or credit memo, or a customer payment journal "
            "(Microsoft.NAV.post). A payment reduces its invoice only once its journal is posted.",
            run=run_post,
            input_schema=object_schema(
                ["entity_set", "id"],
                entity_set={**ENTITY_SET, "enum": list(POSTABLE), "default": "salesInvoices"},
                id=RECORD_ID,
            ),
            output_schema={"type": "object", "properties": {"id": {"type": "string"}}},
            writes=True,
        ),
        Action(
            key="create_subscription",
            name="Create webhook subscription",
            description="Ask Business Central to notify a URL (e.g. a flow's webhook URL) of changes to a "
            "collection. It checks the URL first (validation token) and expires the subscription after 3 "
            "days unless renewed.",
            run=run_create_subscription,
            input_schema=object_schema(
                ["entity_set", "notification_url"],
                entity_set=ENTITY_SET,
                notification_url={"type": "string", "title": "Notification URL", "format": "uri"},
                client_state={
                    "type": "string",
                    "title": "Client state",
                    "maxLength": 2048,
                    "description": "Sent back with every notification: check it in the flow.",
                },
                **ROUTE_PARAMS,
            ),
            output_schema=SUBSCRIPTION_OUT,
            writes=True,
        ),
        Action(
            key="update_subscription",
            name="Renew webhook subscription",
            description="Renew a subscription before its 3 days run out (the URL is checked again); "
            "optionally with a new notification URL or client state.",
            run=run_update_subscription,
            input_schema=object_schema(
                ["subscription_id"],
                subscription_id=SUBSCRIPTION_ID,
                notification_url={"type": "string", "title": "New notification URL", "format": "uri"},
                client_state={"type": "string", "title": "New client state", "maxLength": 2048},
                api_route=API_ROUTE,
            ),
            output_schema=SUBSCRIPTION_OUT,
            writes=True,
        ),
        Action(
            key="delete_subscription",
            name="Delete webhook subscription",
            description="End a subscription (DELETE with If-Match).",
            run=run_delete_subscription,
            input_schema=object_schema(
                ["subscription_id"],
                subscription_id=SUBSCRIPTION_ID,
                ignore_missing={"type": "boolean", "title": "Succeed if already deleted", "default": False},
                api_route=API_ROUTE,
            ),
            output_schema={"type": "object"},
            writes=True,
        ),
        Action(
            key="find_or_create_customer",
            name="Find or create customer",
            description="Match a customer on its number; update it, or create it when absent (replay-safe).",
            run=run_find_or_create_customer,
            input_schema=object_schema(
                ["number"],
                number={"type": "string", "title": "Customer number", "minLength": 1, "maxLength": 20},
                fields=FIELDS,
                update_existing={"type": "boolean", "title": "Update when found", "default": True},
            ),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll for customers, sales invoices, credit memos or payment journal lines by "
            "lastModifiedDateTime.",
            poll=poll_record_updated,
            config_schema=object_schema(
                ["entity_set"],
                entity_set={**ENTITY_SET, "enum": list(POLLABLE)},
                since={"type": "string", "title": "Start from (ISO date-time)"},
                max_records={
                    "type": "integer",
                    "title": "Maximum records per poll",
                    "minimum": 1,
                    "default": 500,
                },
            ),
            output_schema=ENTITY_OUT,
        ),
    )

    def base_url(self, config: Mapping[str, Any]) -> str:
        return str(config["base_url"]).rstrip("/")

    reference_kinds = ("item", "tax_group", "currency", "company")
    _LOOKUP = {
        "item": ("items", "number"),
        "tax_group": ("taxGroups", "code"),
        "currency": ("currencies", "code"),
    }

    def find_references(self, ctx: ActionContext, kind: str, keys: Sequence[str]) -> dict[str, str]:
        """Items by number, tax groups and currencies by code (OData ``$filter``) in the connection's
        company; companies by name or display name in the environment."""
        found: dict[str, str] = {}
        if kind == "company":
            companies = client.request(ctx, "GET", "/api/v2.0/companies").json().get("value") or []
            names = {}
            for company in companies:
                for name in (company.get("name"), company.get("displayName")):
                    if name:
                        names[str(name).casefold()] = str(company.get("displayName") or name)
            return {k: names[str(k).casefold()] for k in keys if str(k).casefold() in names}
        if kind not in self._LOOKUP:
            return super().find_references(ctx, kind, keys)
        es, field = self._LOOKUP[kind]
        for key in dict.fromkeys(str(k) for k in keys):
            if not key or len(key) > 50:
                continue
            params = {
                "$filter": f"{field} eq {client.odata_string(key)}",
                "$select": f"id,{field},displayName",
            }
            rows = list(client.list_entities(ctx, es, params=params, max_records=1))
            if rows:
                found[key] = str(rows[0].get("displayName") or key)
        return found

    def probe(self, ctx: ActionContext) -> str:
        company = client.request(ctx, "GET", client.company_path(ctx)).json() or {}
        return f"Connected to company {company.get('displayName') or company.get('name') or ''}."
