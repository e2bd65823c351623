"""The one error type of the authorization servers; each AuthProfile renders it in its vendor's shape."""

from __future__ import annotations


class OAuthError(Exception):
    """An RFC 6749 error (`error`, `error_description`) with the HTTP status to answer with.

    ``reason`` names the check that failed (stable across vendors: ``unknown_client``, ``bad_secret``,
    ``code_expired``...), so a profile can answer with its vendor's own wording and codes (Microsoft
    Entra's AADSTS numbers, ``code``) for the same failure.
    """

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        reason: str = "",
        code: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason
        self.code = code
