"""Errors raised by connectors and the safe HTTP client.

Every error carries ``message`` (what failed) and ``hint`` (what the user can do). Callers outside
``connectors/`` duck-type on two attributes instead of importing these classes: ``retryable`` (a later
attempt may succeed) and ``retry_after`` (seconds to wait, if the remote system said so or we estimated
it). Messages never contain secrets: the client redacts before raising.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: a permanent failure unless a subclass says ``retryable = True``."""

    retryable: bool = False
    error_code: str = ""  # the remote system's own error code, when its error body gave one

    def __init__(self, message: str, *, hint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.retry_after = retry_after

    def message_with_hint(self) -> str:
        """What a person reads, e.g. after "Test connection": the message, then the hint."""
        return self.message + (f" {self.hint}" if self.hint else "")

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        if self.retry_after is not None:
            data["retry_after"] = self.retry_after
        return data


class ConnectorLoadError(ConnectorError):
    """A connector declaration is invalid or a plugin failed to load."""


class InvalidInput(ConnectorError):
    """Action parameters or connection config do not match the declared JSON Schema."""


class EgressDenied(ConnectorError):
    """The SSRF guard refused the destination (scheme, address, or redirect target)."""


class TLSError(ConnectorError):
    """The TLS handshake or certificate verification failed."""


class TransientHTTPError(ConnectorError):
    """A passing failure (timeout, connection reset, 5xx); try again later."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint, retry_after=retry_after)
        self.status = status


class RateLimited(TransientHTTPError):
    """The remote system (429) or our own per-connection budget says slow down."""


class DeadlineExceeded(TransientHTTPError):
    """The total time budget for the call ran out (connect, retries and body included)."""


class HTTPStatusError(ConnectorError):
    """A non-retryable HTTP error status; ``body_excerpt`` is a short, redacted excerpt."""

    def __init__(self, message: str, *, status: int, body_excerpt: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body_excerpt = body_excerpt

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        data["status"] = self.status
        if self.body_excerpt:
            data["body_excerpt"] = self.body_excerpt
        return data


class AuthError(HTTPStatusError):
    """Credentials were refused (401/403, or the token endpoint said no)."""


class ReconnectRequired(AuthError):
    """The grant behind a connection is gone (refresh token expired or revoked, consent withdrawn): only a
    person can fix it, by connecting again. Callers outside ``connectors/`` read ``reconnect_required``."""

    reconnect_required = True


class NotFound(HTTPStatusError):
    """404: the record or endpoint does not exist."""


class ConflictError(HTTPStatusError):
    """409/412: the record changed or already exists."""


class ResponseTooLarge(ConnectorError):
    """The response body exceeded the size cap; reading stopped at the cap."""

    def __init__(self, message: str, *, limit: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.limit = limit
