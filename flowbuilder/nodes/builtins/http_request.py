"""HTTP request: call any REST API through the safe client (SSRF guard, timeouts, size caps).

The client and its errors come from ``connectors`` through ``ctx.http_client``; this module imports
nothing from there and recognises retryable errors by duck typing (``retryable`` / ``retry_after``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

import ijson

from flowbuilder.core.errors import NodeError, RetryableNodeError
from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, Items, NodeContext, PortItems
from ..expressions import render_template
from . import http_paging
from ._helpers import get_path, item_bindings, require_main

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# A 4xx answer, as the failure inbox classifies it; any other 4xx: the target refused a value.
STATUS_CATEGORY = {401: "connection", 403: "connection", 404: "missing_reference", 409: "duplicate"}
TEMPLATE_MAP = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
    "default": {},
    "x-expression": True,
}


def _where(method: str, url: Any) -> str:
    """``METHOD host/path`` for messages: the query string may hold secrets, so it is left out."""
    parts = urlsplit(str(url))
    return f"{method} {parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else f"{method} {url}"


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
        return max(0.0, float(value)) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None  # an HTTP date: let the executor's backoff decide


# A response whose records the node can parse one by one is kept on disk past SPOOL_BODY_BYTES and may be
# up to STREAMED_RESPONSE_BYTES (other responses keep the client's cap, 10 MiB by default).
SPOOL_BODY_BYTES = 1024 * 1024
STREAMED_RESPONSE_BYTES = 256 * 1024 * 1024
REASON_CHARS = 300  # of the target's own error message, in the node's error
_REASON_KEYS = ("message", "error_description", "detail", "title", "error", "errorMessage", "msg")


def _reason(body: Any) -> str:
    """The target's own words from an error body: the usual ``message``/``error``/``detail`` keys, one
    level of ``errors``/``o:errorDetails`` lists, else the text itself."""
    if isinstance(body, list) and body:
        return _reason(body[0])
    if isinstance(body, dict):
        for key in _REASON_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict | list) and value:
                nested = _reason(value)
                if nested:
                    return nested
        for key in ("errors", "o:errorDetails", "error_details", "details"):
            if isinstance(body.get(key), list) and body[key]:
                return _reason(body[key])
        return json.dumps(body, ensure_ascii=False)
    return "" if body is None else str(body).strip()


def _redacted(client: Any, text: str) -> str:
    """Redact what the client knows as secret (a connection's token echoed back), then truncate."""
    redactor = getattr(client, "redactor", None)
    if redactor is not None:
        text = redactor.text(text)
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "\u2026"


def _json_body(body: Any) -> Any:
    """A body typed into the editor as JSON text is a JSON document, not a string to send: parse it
    before templates are rendered, so ``{"name": "{{ $item.name }}"}`` sends an object whatever the
    item's name holds. Text that is not JSON yet (a template in a number position) is parsed after."""
    if isinstance(body, str) and body.strip()[:1] in ("{", "["):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def _as_items(value: Any, status: int) -> list[dict[str, Any]]:
    if value is None or value == "":
        return [{"status": status}]
    if isinstance(value, list):
        return [v if isinstance(v, dict) else {"value": v} for v in value]
    if isinstance(value, dict):
        return [value]
    return [{"body": value, "status": status}]


def _stream_items(body: IO[bytes], path: str, prefix: str, status: int, out: ItemBuffer) -> None:
    """The records under ``prefix`` (``data.items.item``) of a large JSON body, one at a time into ``out``.

    When the path holds no list (one object, say) the body is read whole and turned into items exactly
    as a small response is."""
    found = False
    try:
        try:
            for value in ijson.items(body, prefix, use_float=True):
                found = True
                out.append(value if isinstance(value, dict) else {"value": value})
        except ijson.JSONError as exc:
            raise NodeError(
                f"The response is not valid JSON: {exc}.", hint="Check that the endpoint returns JSON."
            ) from None
        if not found:
            body.seek(0)
            whole = json.load(body)
            out.extend(_as_items(get_path(whole, path) if path else whole, status))
    finally:
        body.close()


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except Exception:  # not JSON: no next link or cursor in it
        return None


class HttpRequest(BaseNode):
    type = "http.request"
    label = "HTTP request"
    category = "HTTP"
    icon = "globe"
    description = "Call a REST API: one request per item, or all items in one batch request."
    docs = (
        "Sends one request per input item (or one for all items with **Batch**). URL, query, "
        "headers and body may use `{{ expression }}` templates.\n\n"
        "* Non-GET requests carry an `Idempotency-Key` that stays the same when the run is retried.\n"
        "* **Items path** picks the list of records out of the JSON response (e.g. `data.items`). A large "
        "response (up to 256 MB) is read record by record from disk, so memory stays small.\n"
        "* **Pagination** follows a paged API: a next-page link in the body (e.g. `links.next`), a page "
        "number in the query, or a cursor from the body; every page's records become items.\n"
        "* `429` and `5xx` answers are retried (honouring `Retry-After`); other `4xx` fail the node "
        "unless **Fail on error status** is off.\n"
        "* Requests go through the safe HTTP client: private and metadata addresses are refused "
        "unless your organisation allows them."
    )
    side_effects = True
    streams_items = True
    default_retry: ClassVar[dict[str, float]] = {"max_attempts": 3, "backoff_s": 1.0}
    # URL, headers and body are templates ({{ }}), checked wherever they appear; no bare expressions.
    expression_fields = ()
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "method": {"type": "string", "title": "Method", "enum": METHODS, "default": "GET"},
            "url": {
                "type": "string",
                "title": "URL",
                "minLength": 1,
                "description": "e.g. https://api.example.com/customers/{{ $item.id }}",
                "x-expression": True,
            },
            "connection": {
                "type": ["string", "null"],
                "title": "Connection",
                "description": "Credentials to send (optional).",
                "x-widget": "connection-picker",
            },
            "query": {**TEMPLATE_MAP, "title": "Query parameters"},
            "headers": {**TEMPLATE_MAP, "title": "Headers"},
            "body": {
                "title": "Body",
                "description": "JSON; strings may use templates.",
                "x-expression": True,
            },
            "body_type": {"type": "string", "enum": ["json", "form", "text"], "default": "json"},
            "batch": {
                "type": "boolean",
                "title": "Batch",
                "description": "Send all items in one request as {batch_key: [bodies]}.",
                "default": False,
            },
            "batch_key": {"type": "string", "title": "Batch key", "minLength": 1, "default": "records"},
            "items_path": {
                "type": "string",
                "title": "Items path",
                "description": "Dot path to the records in the JSON response; empty: the whole body.",
                "default": "",
            },
            "output": {
                "type": "string",
                "title": "Output",
                "enum": ["body", "full"],
                "description": "full: items are {status, headers, body}.",
                "default": "body",
            },
            "fail_on_status": {"type": "boolean", "title": "Fail on error status", "default": True},
            "pagination": http_paging.SCHEMA,
        },
        "required": ["url"],
        "additionalProperties": False,
    }

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        url = config.get("url")
        if isinstance(url, str) and "{{" not in url and not url.startswith(("http://", "https://")):
            return [("url", "The URL must start with http:// or https://.")]
        if config.get("method", "GET") == "GET" and config.get("body") not in (None, "", {}):
            return [("body", "A GET request has no body; use query parameters or another method.")]
        return http_paging.findings(config.get("pagination") or {})

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        if ctx.http_client is None:
            raise NodeError("HTTP requests are not available here.", hint="Run the flow through a worker.")
        client = ctx.http_client(self.config.get("connection") or None)
        items = require_main(inputs)
        out = ItemBuffer()
        if self.config.get("batch"):
            if items:
                self._send_batch(ctx, client, items, out)
            return {"main": out.result()}
        for index, _, bindings in item_bindings(ctx, items):
            self._send(ctx, client, bindings, index, self._body(bindings), out)
            ctx.heartbeat()
        return {"main": out.result()}

    def _body(self, bindings: dict[str, Any]) -> Any:
        body = self.config.get("body")
        if body is None:
            return None
        if self.config.get("body_type", "json") != "json":
            return render_template(body, bindings)
        rendered = render_template(_json_body(body), bindings)
        if isinstance(rendered, str) and rendered.strip()[:1] in ("{", "["):
            try:
                return json.loads(rendered)
            except ValueError as exc:
                raise NodeError(
                    f"The body is not valid JSON: {exc.msg} at character {exc.pos + 1}.",
                    field="body",
                    hint="Put templates inside quotes, or choose the text body type.",
                ) from None
        return rendered

    def _send_batch(self, ctx: NodeContext, client: Any, items: Items, out: ItemBuffer) -> None:
        bodies = []
        first: dict[str, Any] | None = None
        for _, item, bindings in item_bindings(ctx, items):
            first = first or bindings
            bodies.append(item if self.config.get("body") is None else self._body(bindings))
        assert first is not None
        payload = {self.config.get("batch_key") or "records": bodies}
        self._send(ctx, client, first, 0, payload, out)

    def _send(
        self, ctx: NodeContext, client: Any, bindings: dict[str, Any], index: int, body: Any, out: ItemBuffer
    ) -> None:
        """Send one request (following its pages) and collect the records it answers into ``out``."""
        method = self.config.get("method", "GET")
        url = render_template(self.config["url"], bindings)
        if not isinstance(url, str) or not url:
            raise NodeError(f"The URL rendered to {url!r}, not a URL.", field="url")
        params = {k: v for k, v in render_template(self.config.get("query") or {}, bindings).items()}
        headers = {k: str(v) for k, v in render_template(self.config.get("headers") or {}, bindings).items()}
        if method != "GET" and not any(h.lower() == "idempotency-key" for h in headers):
            headers["Idempotency-Key"] = ctx.idempotency_key(index)
        kwargs: dict[str, Any] = {
            "params": params or None,
            "headers": headers,
            "json": None,
            "data": None,
            # The node decides what an error status means (Fail on error status), for a plain client and
            # a connection's client alike; only 429/5xx still come back as retryable errors.
            "raise_for_status": False,
        }
        if body is not None and method != "GET":
            body_type = self.config.get("body_type", "json")
            kwargs["json" if body_type == "json" else "data"] = body if body_type != "text" else str(body)
        paging = self.config.get("pagination") or {}
        following = paging.get("mode", "none") != "none"
        prefix = None if following else self._stream_prefix()
        if prefix is not None:
            # One response that may hold many records: kept on disk past a megabyte and parsed record by
            # record, so its size is bounded by STREAMED_RESPONSE_BYTES, not by memory.
            kwargs.update(spool_body_over=SPOOL_BODY_BYTES, max_response_bytes=STREAMED_RESPONSE_BYTES)

        def fetch(page_url: str, page_params: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
            if page_params is None:
                query = kwargs["params"]  # the first page: the configured query
            elif page_url != url:
                query = page_params or None  # a next-page link carries its own query
            else:
                query = {**params, **page_params}  # a page number or cursor on the same URL
            try:
                response = client.request(method, page_url, **{**kwargs, "params": query})
            except NodeError:
                raise
            except Exception as exc:
                raise self._client_error(exc, method, page_url, client) from exc
            if getattr(response, "body_file", None) is not None and int(response.status) < 400:
                path = str(self.config.get("items_path") or "")
                _stream_items(response.open_body(), path, prefix or "item", int(response.status), out)
                return [], None
            items = self._items(response, method, page_url, client)
            return items, _json_or_none(response) if following else None

        for page in http_paging.pages(paging, url, fetch):
            out.extend(page)
            ctx.heartbeat()

    def _stream_prefix(self) -> str | None:
        """The ijson prefix of the records in a response, or None when the response is read whole."""
        if self.config.get("output") == "full" or self.config.get("body_type", "json") == "text":
            return None
        path = str(self.config.get("items_path") or "")
        parts = [part for part in path.split(".") if part] if path else []
        if any(part.lstrip("-").isdigit() for part in parts):
            return None  # a list index in the path: ijson prefixes cannot address it
        return ".".join([*parts, "item"])

    @staticmethod
    def _client_error(exc: Exception, method: str, url: str, client: Any = None) -> NodeError:
        status = getattr(exc, "status", None)
        if isinstance(status, int) and status >= 400:
            excerpt = getattr(exc, "body_excerpt", "") or ""
            try:
                reason = _reason(json.loads(excerpt)) if excerpt else ""
            except ValueError:
                reason = excerpt
            message = f"{_where(method, url)} answered HTTP {status}" + (
                f": {_redacted(client, reason)}" if reason else "."
            )
        else:
            text = str(getattr(exc, "message", "") or exc)
            message = text if text.startswith(method) else f"{_where(method, url)} failed: {text}"
        if getattr(exc, "retryable", False):
            return RetryableNodeError(message, retry_after=getattr(exc, "retry_after", None))
        return NodeError(message, hint=getattr(exc, "hint", "") or "Check the URL and the connection.")

    def _items(self, response: Any, method: str, url: str, client: Any = None) -> list[dict[str, Any]]:
        status = int(response.status)
        try:
            body: Any = response.json()
        except Exception:  # not JSON: keep the text
            body = response.text
        if status >= 400 and self.config.get("fail_on_status", True):
            reason = _redacted(client, _reason(body))
            message = f"{_where(method, url)} answered HTTP {status}" + (f": {reason}" if reason else ".")
            if status == 429 or status >= 500:
                raise RetryableNodeError(message, retry_after=_retry_after(response.headers))
            refused = NodeError(
                message,
                hint="The target refused the request; fix what it names (retrying will not help with a 4xx).",
            )
            # What the failure inbox groups by (execution.failures reads a declared category first).
            refused.category = STATUS_CATEGORY.get(status, "refused_value")  # type: ignore[attr-defined]
            refused.status = status  # type: ignore[attr-defined]
            raise refused
        if self.config.get("output") == "full":
            return [{"status": status, "headers": dict(response.headers or {}), "body": body}]
        path = self.config.get("items_path") or ""
        if path:
            if not isinstance(body, dict | list):
                raise NodeError(f"Items path {path!r} needs a JSON response; got text.", field="items_path")
            body = get_path(body, path)
        return _as_items(body, status)
