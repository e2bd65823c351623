"""OAuth 2.0 authorization code grant with PKCE (RFC 6749 4.1, RFC 7636): consent in the browser.

Three pieces, none of which knows about Django:

* :func:`new_pkce` and :func:`authorization_url` build the URL the browser is sent to (``state`` and the
  S256 ``code_challenge``); the caller keeps ``state`` and the verifier server side.
* :func:`exchange_code` trades the code the browser brought back for tokens at the token endpoint
  (``code``, ``redirect_uri``, ``code_verifier``, the client authenticated as the system documents).
* :class:`OAuth2AuthorizationCode` is the runtime auth of a connected connection: it sends the stored
  access token, refreshes it shortly before it expires (and once on a 401), and when the refresh token
  is refused, or there is none and the access token stopped working, raises
  :class:`~connectors.errors.ReconnectRequired` so the connection shows "reconnect".
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from connectors.errors import ReconnectRequired

from .auth import OAuth2Auth, OAuth2RefreshToken, TokenSet, Transport

VERIFIER_BYTES = 48  # 64 url-safe characters: RFC 7636 wants 43 to 128


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_pkce() -> tuple[str, str]:
    """(code_verifier, code_challenge) with the S256 method."""
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    authorize_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str | None,
    scope: str | None = None,
    extra_params: Mapping[str, str] | None = None,
) -> str:
    """The authorize endpoint with the request's parameters added to any it already has."""
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    if scope:
        params["scope"] = scope
    params.update(extra_params or {})
    parts = urlsplit(authorize_url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class _CodeExchange(OAuth2Auth):
    """The one-off token request of the authorization code grant."""

    grant_type = "authorization_code"

    def __init__(self, *args: Any, code: str, redirect_uri: str, code_verifier: str | None, **kw: Any):
        super().__init__(*args, **kw)
        self._code = code
        self._redirect_uri = redirect_uri
        self._verifier = code_verifier

    def secrets(self) -> Iterable[str]:
        return [*super().secrets(), self._code, *([self._verifier] if self._verifier else [])]

    def _grant_params(self) -> dict[str, str]:
        params = {"code": self._code, "redirect_uri": self._redirect_uri}
        if self._verifier:
            params["code_verifier"] = self._verifier
        return params


def exchange_code(
    http: Transport,
    *,
    token_url: str,
    client_id: str,
    client_secret: str = "",
    auth_method: str = "client_secret_post",
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    **kw: Any,
) -> TokenSet:
    """Trade an authorization code for tokens; AuthError naming the endpoint's ``error`` if refused."""
    grant = _CodeExchange(
        token_url,
        client_id,
        client_secret,
        auth_method=auth_method,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        **kw,
    )
    if getattr(http, "redactor", None) is not None:
        grant.bind(http.redactor)  # type: ignore[attr-defined]
    return grant._fetch(http)


class OAuth2AuthorizationCode(OAuth2RefreshToken):
    """A connection authorised in the browser: the stored access token, renewed with the refresh token.

    Without a refresh token (Kantata's tokens do not expire) the access token is used until the system
    refuses it; then, like a refused refresh token, the connection needs a person to connect again.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str = "",
        *,
        access_token: str | None = None,
        expires_at: float | None = None,
        refresh_token: str | None = None,
        on_token: Callable[[TokenSet], None] | None = None,
        **kw: Any,
    ) -> None:
        token = (
            TokenSet(access_token=access_token, expires_at=expires_at, refresh_token=refresh_token)
            if access_token
            else None
        )
        super().__init__(
            token_url,
            client_id,
            client_secret,
            refresh_token=refresh_token,
            token=token,
            on_token=on_token,
            **kw,
        )

    def current_token(self, http: Transport) -> TokenSet:
        with self._lock:
            if not self._valid(self._token):
                if not self._refresh_token:
                    raise self._lapsed(
                        "Not connected yet." if self._token is None else "The access token has expired."
                    )
                self._token = self._fetch(http)
            assert self._token is not None
            return self._token

    def on_unauthorized(self, http: Transport) -> bool:
        if not self._refresh_token:
            self._reconnect("The system refused the access token.")
            return False
        with self._lock:
            self._token = self._fetch(http)
        return True

    def _lapsed(self, message: str) -> ReconnectRequired:
        self._reconnect(message)
        return ReconnectRequired(
            message,
            status=0,
            hint="Connect the connection (Connect on the connection page) to authorise access.",
        )
