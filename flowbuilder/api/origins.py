"""Which pages may open a websocket: exact origins (scheme, host and port), like Django's CSRF check.

Channels' ``AllowedHostsOriginValidator`` compares host names only, so a page on another port of the
same host (``http://localhost:9999``: any local dev server, or a compromised service) could ride a
user's session cookie into the run stream. Here an ``Origin`` is accepted when it is one of
``WEBSOCKET_ALLOWED_ORIGINS`` (the CSRF trusted origins and the public URL) or the very origin the
connection was made to (its ``Host`` header, which must be an allowed host, and its scheme; a partner's
own host name is served that way), all three parts compared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_key(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin with the default port filled in; None if it is not one."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return ""


def own_origin(scope: dict[str, Any]) -> tuple[str, str, int] | None:
    """The origin this connection was made to, if its Host header names an allowed host."""
    host = _header(scope, b"host")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if settings.FLOWBUILDER_TRUSTED_PROXIES > 0:
        forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
        scheme = forwarded if forwarded in DEFAULT_PORTS else scheme
    return origin_key(f"{scheme}://{host}")


def origin_allowed(origin: str, scope: dict[str, Any]) -> bool:
    key = origin_key(origin)
    if key is None:
        return False
    if key in {origin_key(o) for o in settings.WEBSOCKET_ALLOWED_ORIGINS}:
        return True
    return key == own_origin(scope)


class ExactOriginValidator(OriginValidator):
    """Channels' validator (it denies the handshake with 403) with the exact comparison above."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope, receive, send):
        if origin_allowed(_header(scope, b"origin"), scope):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)  # no allowed origins: denied


def origin_validator(application: Any) -> ExactOriginValidator:
    return ExactOriginValidator(application)
