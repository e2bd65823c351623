"""HTTP failure status -> connector error: one mapping for the safe client and every connector.

    401, 403          AuthError          (permanent: the credentials or permissions)
    404               NotFound
    409, 412          ConflictError      (the record changed or already exists)
    429               RateLimited        (retryable, ``retry_after`` from Retry-After)
    408, 425, 500,    TransientHTTPError (retryable; the safe client retries these itself first)
    502, 503, 504
    any other         HTTPStatusError    (refused; a connector may name its own subclass)

501, 505 and the like are permanent (the server cannot do it), so they stay refused. A connector keeps
only what is its own: reading its error body shape into a message and a code (:func:`error_body` gives
the parsed JSON), a hint, and, where the body's code says more than the status (Salesforce's
``REQUEST_LIMIT_EXCEEDED`` on a 403), the class; :func:`response_error` does the rest.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any, Protocol

from connectors.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    HTTPStatusError,
    NotFound,
    RateLimited,
    TransientHTTPError,
)

from .redact import Redactor

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
EXCERPT_CHARS = 500  # of a failed response's body, redacted, kept on the error
MESSAGE_CHARS = 400  # of the message a system's error body gives


def error_class(status: int) -> type[ConnectorError]:
    """The error class for a failure status (see the module docstring)."""
    if status == 429:
        return RateLimited
    if status in TRANSIENT_STATUSES:
        return TransientHTTPError
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFound
    if status in (409, 412):
        return ConflictError
    return HTTPStatusError


def error_for_status(
    status: int,
    message: str,
    *,
    hint: str = "",
    body_excerpt: str = "",
    retry_after: float | None = None,
    kind: type[ConnectorError] | None = None,
    refused: type[HTTPStatusError] = HTTPStatusError,
) -> ConnectorError:
    """Build the error for ``status``: ``kind`` if given, else :func:`error_class`, with ``refused`` in
    place of a plain HTTPStatusError. Retryable errors carry ``retry_after``, the others the excerpt."""
    cls = kind or error_class(status)
    if cls is HTTPStatusError:
        cls = refused
    if issubclass(cls, TransientHTTPError):
        return cls(message, status=status, hint=hint, retry_after=retry_after)
    if issubclass(cls, HTTPStatusError):
        return cls(message, status=status, body_excerpt=body_excerpt, hint=hint)
    return cls(message, hint=hint)


class Response(Protocol):
    """The parts of a response an error is made from (``SafeResponse`` has them)."""

    status: int
    headers: Mapping[str, str]

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def error_body(response: Response) -> Any:
    """The parsed JSON of an error response, or None when it is empty or not JSON."""
    try:
        return response.json()
    except ConnectorError:
        return None


def response_error(
    system: str,
    method: str,
    response: Response,
    *,
    redactor: Redactor,
    message: str = "",
    code: str = "",
    hint: str = "",
    kind: type[ConnectorError] | None = None,
    refused: type[HTTPStatusError] = HTTPStatusError,
    default_retry_after: float | None = None,
) -> ConnectorError:
    """The error for a system's failed response: ``"<System> <METHOD> failed (HTTP <status>[, <code>])[:
    <message>]"``, redacted; ``error_code`` is the system's code. A retryable error waits for the
    response's Retry-After, else ``default_retry_after``."""
    message = redactor.text(message)[:MESSAGE_CHARS]
    text = f"{system} {method} failed (HTTP {response.status}" + (f", {code})" if code else ")")
    text += f": {message}" if message else "."
    retry_after = parse_retry_after(response.headers.get("Retry-After")) or default_retry_after
    error = error_for_status(
        response.status,
        text,
        hint=hint,
        body_excerpt=redactor.text(response.text[:EXCERPT_CHARS]),
        retry_after=retry_after,
        kind=kind,
        refused=refused,
    )
    error.error_code = code
    return error


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent or unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
