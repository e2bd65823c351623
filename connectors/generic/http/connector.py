"""Generic REST: call any JSON/HTTP API through a connection (base URL + credentials).

The smallest real connector, and the reference for writing others: declarations only, one ``run``
function, all I/O through ``ctx.http`` (the safe client, credentials bound to the base URL's host).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import NO_AUTH, STANDARD_CREDENTIAL_TYPES, Action, ActionContext, Connector
from connectors.errors import HTTPStatusError
from connectors.http.ratelimit import RateLimit

_JSON_TYPES = ("application/json", "+json")

REQUEST_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["method", "path"],
    "additionalProperties": False,
    "properties": {
        "method": {
            "type": "string",
            "title": "Method",
            "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
            "default": "GET",
        },
        "path": {
            "type": "string",
            "title": "Path",
            "description": "Relative to the connection's base URL, e.g. /v1/customers",
        },
        "query": {
            "type": "object",
            "title": "Query parameters",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "headers": {"type": "object", "title": "Headers", "additionalProperties": {"type": "string"}},
        "body_type": {
            "type": "string",
            "title": "Body",
            "enum": ["none", "json", "form", "text"],
            "default": "none",
        },
        "body": {"title": "Body content"},
        "fail_on_error_status": {"type": "boolean", "title": "Fail on HTTP 4xx/5xx", "default": True},
        "send_idempotency_key": {
            "type": "boolean",
            "title": "Send Idempotency-Key on POST/PATCH",
            "default": True,
        },
    },
}
REQUEST_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["status", "headers", "body"],
    "properties": {
        "status": {"type": "integer"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {},
    },
}


def run_request(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    method = str(params.get("method", "GET")).upper()
    headers = dict(params.get("headers") or {})
    if (
        params.get("send_idempotency_key", True)
        and ctx.idempotency_key
        and method in ("POST", "PATCH")
        and not any(k.lower() == "idempotency-key" for k in headers)
    ):
        # Lets APIs that support it drop a replayed write; also lets the client retry the POST safely.
        headers["Idempotency-Key"] = ctx.idempotency_key
    body_type = params.get("body_type", "none")
    body = params.get("body")
    kwargs: dict[str, Any] = {}
    if body_type == "json":
        kwargs["json"] = body
    elif body_type == "form":
        kwargs["data"] = body
    elif body_type == "text":
        kwargs["data"] = "" if body is None else str(body).encode()
    response = ctx.http.request(
        method,
        str(params["path"]),
        params=params.get("query") or None,
        headers=headers,
        raise_for_status=bool(params.get("fail_on_error_status", True)),
        **kwargs,
    )
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    parsed: Any = response.text
    if response.body and content_type.endswith(_JSON_TYPES):
        parsed = response.json()
    return {
        "status": response.status,
        "headers": ctx.http.redactor.header_map(dict(response.headers)),
        "body": parsed,
    }


class GenericRestConnector(Connector):
    key = "http"
    name = "Generic REST"
    category = "Generic"
    icon = "globe"
    version = "1.0.0"
    description = "Call any HTTP/JSON API with a base URL and one of the standard credential types."
    credential_types = (NO_AUTH, *STANDARD_CREDENTIAL_TYPES)
    config_schema = {
        "type": "object",
        "required": ["base_url"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "title": "Base URL", "format": "uri", "pattern": "^https?://"},
            "health_path": {"type": "string", "title": "Path checked by 'Test connection'", "default": ""},
        },
    }
    rate_limit = RateLimit(rate=5.0, burst=10, max_concurrency=4)
    actions = (
        Action(
            key="request",
            name="HTTP request",
            description="Send one request per item to the connection's API and return status, headers, body.",
            run=run_request,
            input_schema=REQUEST_INPUT,
            output_schema=REQUEST_OUTPUT,
            writes=True,  # a generic request may change data; the executor treats it as a side effect
            icon="globe",
        ),
    )

    def probe(self, ctx: ActionContext) -> str:
        response = ctx.http.get(str(ctx.config.get("health_path") or ""), raise_for_status=False, retries=0)
        if not response.ok:
            raise HTTPStatusError(f"The API answered HTTP {response.status}.", status=response.status)
        return f"Connected: HTTP {response.status}."
