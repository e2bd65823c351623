"""Auth objects: how a connection's secrets are put on a request.

The safe client calls :meth:`Auth.apply` only for requests to the connection's own origin (scheme, host,
port of its base URL, plus any extra origins the connector names). A redirect or an absolute URL to any
other origin is sent without them. Every secret an auth object holds or obtains (tokens) is registered
with the client's redactor so it never reaches a log line or an error message.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from connectors.errors import AuthError, ConnectorError, HTTPStatusError

from .redact import Redactor


class Transport(Protocol):
    """What an auth needs from the client that calls it: a way to reach the token endpoint.

    The safe client is the one implementation; naming only this keeps ``auth`` from importing the client
    module (which imports ``auth``)."""

    def request(
        self,
        method: str,
        url: str,
        *,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        follow_redirects: bool = True,
    ) -> Any: ...


class Auth:
    """Base class; the default applies nothing."""

    def __init__(self) -> None:
        self._redactor: Redactor | None = None

    def bind(self, redactor: Redactor) -> None:
        """Called by the client once: register every secret we hold with its redactor."""
        self._redactor = redactor
        for value in self.secrets():
            redactor.add_secret(value)

    def _remember(self, value: str | None) -> None:
        if self._redactor is not None:
            self._redactor.add_secret(value)

    def secrets(self) -> Iterable[str]:
        return ()

    def apply(self, headers: dict[str, str], params: dict[str, Any], http: Transport) -> None:
        return None

    def on_unauthorized(self, http: Transport) -> bool:
        """A 401 came back: renew what can be renewed; True means "send the request once more"."""
        return False


class NoAuth(Auth):
    pass


class BearerAuth(Auth):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def secrets(self) -> Iterable[str]:
        return (self._token,)

    def apply(self, headers: dict[str, str], params: dict[str, Any], http: Transport) -> None:
        headers["Authorization"] = f"Bearer {self._token}"


class BasicAuth(Auth):
    def __init__(self, username: str, password: str) -> None:
        super().__init__()
        self._username = username
        self._password = password
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def secrets(self) -> Iterable[str]:
        return (self._password, self._header.split(" ", 1)[1])

    def apply(self, headers: dict[str, str], params: dict[str, Any], http: Transport) -> None:
        headers["Authorization"] = self._header


class ApiKeyAuth(Auth):
    """An API key in a header (default ``X-API-Key``) or a query parameter; ``prefix`` e.g. ``"Token "``."""

    def __init__(
        self, key: str, *, name: str = "X-API-Key", location: str = "header", prefix: str = ""
    ) -> None:
        super().__init__()
        if location not in ("header", "query"):
            raise ValueError("location must be 'header' or 'query'")
        self._key = key
        self.name = name
        self.location = location
        self.prefix = prefix

    def secrets(self) -> Iterable[str]:
        return (self._key, quote(self._key, safe=""))

    def bind(self, redactor: Redactor) -> None:
        super().bind(redactor)
        if self.location == "header":
            redactor.add_header_name(self.name)
        else:
            redactor.add_param_name(self.name)

    def apply(self, headers: dict[str, str], params: dict[str, Any], http: Transport) -> None:
        if self.location == "header":
            headers[self.name] = f"{self.prefix}{self._key}"
        else:
            params[self.name] = self._key


@dataclass
class TokenSet:
    """What a token endpoint returned. ``raw`` keeps extra fields (e.g. Salesforce ``instance_url``)."""

    access_token: str
    token_type: str = "Bearer"
    expires_at: float | None = None  # epoch seconds; None: valid until a 401 says otherwise
    refresh_token: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never print the token
        return f"TokenSet(token_type={self.token_type!r}, expires_at={self.expires_at!r})"


class OAuth2Auth(Auth):
    """Shared OAuth 2.0 logic: lazy token fetch, proactive renewal before expiry, renewal on 401.

    The token endpoint is called through the same safe client (egress policy applies) with redirects
    disabled, so a client secret in a POST body can never be re-sent to another host.
    """

    grant_type = ""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str = "",
        *,
        scope: str | None = None,
        extra_params: dict[str, str] | None = None,
        auth_method: str = "client_secret_post",  # or "client_secret_basic"
        on_token: Callable[[TokenSet], None] | None = None,
        token: TokenSet | None = None,
        expiry_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if auth_method not in ("client_secret_post", "client_secret_basic"):
            raise ValueError("auth_method must be client_secret_post or client_secret_basic")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.extra_params = dict(extra_params or {})
        self.auth_method = auth_method
        self.on_token = on_token  # e.g. the credentials app persisting a rotated refresh token
        self._token = token
        self._margin = expiry_margin
        self._clock = clock
        self._lock = threading.Lock()
        self.fetch_count = 0  # observable in tests and metrics

    def secrets(self) -> Iterable[str]:
        values = [self._client_secret]
        if self._token is not None:
            values += [self._token.access_token, self._token.refresh_token or ""]
        return [v for v in values if v]

    def _grant_params(self) -> dict[str, str]:
        raise NotImplementedError

    def _valid(self, token: TokenSet | None) -> bool:
        if token is None:
            return False
        return token.expires_at is None or token.expires_at - self._margin > self._clock()

    def current_token(self, http: Transport) -> TokenSet:
        with self._lock:
            if not self._valid(self._token):
                self._token = self._fetch(http)
            assert self._token is not None
            return self._token

    def apply(self, headers: dict[str, str], params: dict[str, Any], http: Transport) -> None:
        token = self.current_token(http)
        headers["Authorization"] = f"Bearer {token.access_token}"

    def on_unauthorized(self, http: Transport) -> bool:
        with self._lock:
            self._token = self._fetch(http)
        return True

    def _fetch(self, http: Transport) -> TokenSet:
        form = {"grant_type": self.grant_type, **self._grant_params(), **self.extra_params}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json"}
        if self.auth_method == "client_secret_basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        else:
            form["client_id"] = self.client_id
            if self._client_secret:
                form["client_secret"] = self._client_secret
        try:
            response = http.request(
                "POST",
                self.token_url,
                data=form,
                headers=headers,
                authenticate=False,
                follow_redirects=False,
            )
        except HTTPStatusError as exc:
            raise AuthError(
                f"The token endpoint refused the credentials (HTTP {exc.status}).",
                status=exc.status,
                body_excerpt=exc.body_excerpt,
                hint="Check the client id and secret, or reconnect to get a new refresh token.",
            ) from exc
        try:
            payload = response.json()
            access = str(payload["access_token"])
        except (ConnectorError, KeyError, TypeError) as exc:
            raise AuthError(
                "The token endpoint answered without an access_token.",
                status=response.status,
                hint="Check the token URL.",
            ) from exc
        expires_in = payload.get("expires_in")
        token = TokenSet(
            access_token=access,
            token_type=str(payload.get("token_type") or "Bearer"),
            expires_at=self._clock() + float(expires_in) if expires_in else None,
            refresh_token=payload.get("refresh_token"),
            raw={k: v for k, v in payload.items() if k not in ("access_token", "refresh_token", "id_token")},
        )
        self._remember(token.access_token)
        self._remember(token.refresh_token)
        self.fetch_count += 1
        self._after_fetch(token)
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _after_fetch(self, token: TokenSet) -> None:
        return None


class OAuth2ClientCredentials(OAuth2Auth):
    """OAuth 2.0 client credentials grant (machine to machine)."""

    grant_type = "client_credentials"

    def _grant_params(self) -> dict[str, str]:
        return {}


class OAuth2RefreshToken(OAuth2Auth):
    """OAuth 2.0 refresh-token grant. A rotated refresh token replaces ours and is passed to on_token."""

    grant_type = "refresh_token"

    def __init__(
        self, token_url: str, client_id: str, client_secret: str = "", *, refresh_token: str, **kw: Any
    ):
        super().__init__(token_url, client_id, client_secret, **kw)
        self._refresh_token = refresh_token

    def secrets(self) -> Iterable[str]:
        return [*super().secrets(), self._refresh_token]

    def _grant_params(self) -> dict[str, str]:
        return {"refresh_token": self._refresh_token}

    def _after_fetch(self, token: TokenSet) -> None:
        if token.refresh_token:
            self._refresh_token = token.refresh_token
        else:
            token.refresh_token = self._refresh_token
