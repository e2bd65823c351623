"""Keep secrets out of logs and error messages.

A :class:`Redactor` knows sensitive header and query-parameter names plus every secret value an auth
object registered with it (tokens, keys, passwords), and replaces them with ``[REDACTED]``. The client
runs every URL, header map and body excerpt it logs or puts into an exception through one.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "[REDACTED]"

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "ocp-apim-subscription-key",
    }
)
SENSITIVE_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "api_key",
        "apikey",
        "key",
        "client_secret",
        "password",
        "secret",
        "signature",
        "sig",
        "code",
    }
)
# Values shorter than this are not scrubbed as free text: masking "1" or "ab" everywhere helps nobody.
MIN_SECRET_LEN = 4
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


class Redactor:
    """Thread-safe set of secret values plus name-based rules."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        extra_headers: Iterable[str] = (),
        extra_params: Iterable[str] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.headers = SENSITIVE_HEADERS | {h.lower() for h in extra_headers}
        self.params = SENSITIVE_PARAMS | {p.lower() for p in extra_params}
        for value in secrets:
            self.add_secret(value)

    def add_secret(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET_LEN:
            with self._lock:
                self._secrets.add(value)

    def add_header_name(self, name: str) -> None:
        self.headers = self.headers | {name.lower()}

    def add_param_name(self, name: str) -> None:
        self.params = self.params | {name.lower()}

    def text(self, value: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial leftovers
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", value)

    def header_map(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: (MASK if k.lower() in self.headers else self.text(str(v))) for k, v in headers.items()}

    def url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:  # user:password@host
            netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, MASK if k.lower() in self.params else v) for k, v in pairs], safe="[]")
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs a record's rendered message; attach to handlers that may see secrets."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.text(record.getMessage())
        record.args = None
        return True
