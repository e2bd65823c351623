"""The webhook hot path as a plain ASGI app: no session, CSRF or auth middleware (a webhook is
authenticated by its secret URL and optional signature), so no sync-middleware thread hops per call."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from flowbuilder.triggers.webhook_calls import handle_webhook
from flowbuilder.triggers.webhooks import MAX_BODY_BYTES, PlainText

# /hooks/<token>/ is the published (prod) version; /hooks/<token>/dev/ and /test/ a release's.
PATH = re.compile(r"^/hooks/(?P<token>[A-Za-z0-9_\-]{1,64})(?:/(?P<environment>dev|test))?/?$")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


def matches(scope: dict[str, Any]) -> bool:
    return scope["type"] == "http" and PATH.match(scope.get("path", "")) is not None


async def webhook_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    match = PATH.match(scope["path"])
    token, environment = match.group("token"), match.group("environment") or ""
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if len(body) > MAX_BODY_BYTES + 1:
            await _send(
                send, 413, {"detail": "The body is larger than 5 MB.", "errors": {"body": ["too large"]}}
            )
            return
        if not message.get("more_body"):
            break
    headers = _Headers(scope.get("headers", []))
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    content_type = headers.get("content-type", "").split(";")[0].strip()
    status, payload, extra = await handle_webhook(
        scope["method"], token, bytes(body), content_type, query, headers, environment
    )
    await _send(send, status, payload, extra)


async def _send(send: Any, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
    if isinstance(payload, PlainText):  # a validation handshake echoes its token
        data, kind = str(payload).encode(), b"text/plain; charset=utf-8"
    else:
        data, kind = json.dumps(payload, default=str).encode(), b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode())]
    headers += SECURITY_HEADERS + [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class _Headers:
    """Case-insensitive header lookup like Django's request.headers (what signature checks use)."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._h = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}

    def get(self, name: str, default: str = "") -> str:
        return self._h.get(name.lower(), default)
