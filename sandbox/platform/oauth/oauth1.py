"""OAuth 1.0a request signatures (RFC 5849), as NetSuite's token-based authentication (TBA) uses them:
`Authorization: OAuth realm="<ACCOUNT ID>", oauth_consumer_key=..., oauth_token=...,
oauth_signature_method="HMAC-SHA256", oauth_timestamp=..., oauth_nonce=..., oauth_version="1.0",
oauth_signature=...`. Own small code (stdlib only), checked against RFC 5849's examples in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote, urlsplit

_PARAM = re.compile(r'\s*([A-Za-z0-9_\-.~%]+)\s*=\s*"([^"]*)"\s*,?')


def encode(value: str) -> str:
    """RFC 5849 section 3.6: percent-encode everything but the unreserved characters."""
    return quote(value, safe="~")


def parse_header(header: str) -> dict[str, str] | None:
    """The parameters of an `OAuth ...` Authorization header (decoded), or None when it is not one."""
    if not header[:6].lower() == "oauth ":
        return None
    body = header[6:]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        m = _PARAM.match(body, pos)
        if not m:
            return None
        params[unquote(m.group(1))] = unquote(m.group(2))
        pos = m.end()
    return params if "oauth_signature" in params else None


def base_string_uri(url: str) -> str:
    """RFC 5849 section 3.4.1.2: scheme and host lower-cased, default port dropped, no query."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1.3.2: encode, sort by name then value, join with & and =."""
    encoded = sorted((encode(k), encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1: METHOD&encoded base URI&encoded normalized parameters; ``params`` are the
    query and form-body parameters and the oauth_* header parameters (without realm and signature)."""
    return "&".join((method.upper(), encode(base_string_uri(url)), encode(normalized_parameters(params))))


def sign(base: str, consumer_secret: str, token_secret: str, digest: Callable = hashlib.sha256) -> str:
    """RFC 5849 section 3.4.2 (HMAC-SHA1 there; NetSuite uses HMAC-SHA256 the same way)."""
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


def verify(base: str, signature: str, consumer_secret: str, token_secret: str) -> bool:
    return hmac.compare_digest(sign(base, consumer_secret, token_secret), signature)
