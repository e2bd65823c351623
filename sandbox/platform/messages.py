"""Transport-neutral request/response objects passed between the HTTP layer and the systems."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


class BadJson(ValueError):
    """The request body is not valid JSON (each system maps this to its own error shape)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us, so links point back at this server
    sub_path: str = ""  # path below the system prefix (and below a tenant named in the URL)
    object_label: str = ""  # set by systems so stats can count "POST customer"
    token_subject: str = ""
    root: str = ""  # the URL prefix the request came in under, e.g. /netsuite/ACME: links point back at it
    tenant: str = ""  # the tenant served (named in the URL, or the token's)
    raw_path: str = ""  # the path as sent (still percent-encoded): OAuth 1.0a signs it
    principal: Any = None  # oauth.tokens.Principal of an authenticated API request

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        if not self.body:
            raise BadJson("empty body")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadJson(str(exc)) from exc

    def form(self) -> dict[str, str]:
        """Form-encoded body (OAuth token endpoints), falling back to JSON and the query string."""
        from urllib.parse import parse_qs

        ctype = self.header("content-type")
        data: dict[str, str] = {k: v[0] for k, v in self.query.items()}
        if "json" in ctype and self.body:
            try:
                loaded = json.loads(self.body)
            except ValueError:
                loaded = {}
            if isinstance(loaded, dict):
                data.update({k: str(v) for k, v in loaded.items()})
        elif self.body:
            parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            data.update({k: v[0] for k, v in parsed.items()})
        return data

    def url_with(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop_connection: bool = False  # timeout fault: close the socket without answering


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    merged = {"Content-Type": "application/json;charset=UTF-8"}
    merged.update(headers or {})
    return Response(status, body, merged)


def empty_response(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", dict(headers or {}))
