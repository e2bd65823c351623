"""Auth objects: how a connection's secrets are put on a request.

The safe client calls :meth:`Auth.apply` only for requests to the connection's own origin (scheme, host,
port of its base URL, plus any extra origins the connector names). A redirect or an absolute URL to any
other origin is sent without them. Every secret an auth object holds or obtains (tokens) is registered
with the client's redactor so it never reaches a log line or an error message.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from connectors.errors import AuthError, ConnectorError, ReconnectRequired

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
        raise_for_status: bool = True,
    ) -> Any: ...


# Called when the grant behind a connection is gone (refresh token expired or revoked). It may answer a
# newer refresh token (another worker rotated ours and stored it): the auth then tries once more with it.
ReconnectListener = Callable[[str], "str | None"]


class Auth:
    """Base class; the default applies nothing."""

    def __init__(self) -> None:
        self._redactor: Redactor | None = None
        self.reconnect_listener: ReconnectListener | None = None

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

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> dict[str, str]:
        """Headers to add once the request is built (method, full URL with query, body): for schemes that
        sign the whole request, such as OAuth 1.0a. Called only where :meth:`apply` was."""
        return {}

    def on_unauthorized(self, http: Transport) -> bool:
        """A 401 came back: renew what can be renewed; True means "send the request once more"."""
        return False

    def _reconnect(self, message: str) -> str | None:
        """Tell the listener the grant is gone; returns a newer refresh token if one was stored meanwhile."""
        if self.reconnect_listener is None:
            return None
        return self.reconnect_listener(message)


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
    # When the refresh token stops working, where the endpoint says so (``refresh_token_expires_in``) or
    # the refresh token is a JWT with ``exp`` (NetSuite); None: unknown.
    refresh_expires_at: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never print the token
        return f"TokenSet(token_type={self.token_type!r}, expires_at={self.expires_at!r})"


def jwt_expiry(token: str | None) -> float | None:
    """The ``exp`` claim of a JWT-shaped token, read without verifying it (we only schedule a warning
    with it); None for opaque tokens."""
    if not token or token.count(".") != 2:
        return None
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        return float(exp) if isinstance(exp, int | float) else None
    except (ValueError, TypeError):
        return None


def token_error(response: Any) -> tuple[str, str]:
    """(``error``, ``error_description``) of an OAuth 2.0 error response (RFC 6749 5.2), or ("", "")."""
    try:
        body = response.json()
    except ConnectorError:
        return "", ""
    if not isinstance(body, Mapping):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")[:300]


class OAuth2Auth(Auth):
    """Shared OAuth 2.0 logic: lazy token fetch, proactive renewal before expiry, renewal on 401.

    The token endpoint is called through the same safe client (egress policy applies) with redirects
    disabled, so a client secret in a POST body can never be re-sent to another host. Subclasses name
    the grant (:meth:`_grant_params`) and, where the client does not authenticate with a secret, how it
    does (:meth:`_client_authentication`).
    """

    grant_type = ""
    # True for grants whose failure means a person must consent again (refresh tokens): invalid_grant
    # then raises ReconnectRequired and tells the reconnect listener.
    grant_can_lapse = False

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

    def _client_authentication(self, form: dict[str, str], headers: dict[str, str]) -> None:
        """Authenticate the client at the token endpoint: HTTP Basic or the secret in the form."""
        if self.auth_method == "client_secret_basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
            return
        form["client_id"] = self.client_id
        if self._client_secret:
            form["client_secret"] = self._client_secret

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
        response = self._post_grant(http)
        if response.status >= 400:
            error, description = token_error(response)
            if self.grant_can_lapse and error == "invalid_grant":
                newer = self._reconnect(description or error)
                if newer and self._adopt_refresh_token(newer):
                    response = self._post_grant(http)  # another worker rotated it: use theirs, once
            if response.status >= 400:
                raise self._refusal(response)
        return self._token_from(response)

    def _post_grant(self, http: Transport) -> Any:
        form = {"grant_type": self.grant_type, **self._grant_params(), **self.extra_params}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json"}
        self._client_authentication(form, headers)
        return http.request(
            "POST",
            self.token_url,
            data=form,
            headers=headers,
            authenticate=False,
            follow_redirects=False,
            raise_for_status=False,
        )

    def _adopt_refresh_token(self, refresh_token: str) -> bool:
        """Switch to a newer refresh token; False when this grant has none or it is the same."""
        return False

    def _refusal(self, response: Any) -> AuthError:
        error, description = token_error(response)
        said = f" ({error}{': ' + description if description else ''})" if error else ""
        message = f"The token endpoint refused the request (HTTP {response.status}){said}."
        if self.grant_can_lapse and error == "invalid_grant":
            return ReconnectRequired(
                message,
                status=response.status,
                hint="The authorization expired or was revoked: click Connect on the connection page.",
            )
        return AuthError(
            message,
            status=response.status,
            hint="Check the client id and secret (or key), the token URL and the scope.",
        )

    def _token_from(self, response: Any) -> TokenSet:
        try:
            payload = response.json()
            access = str(payload["access_token"])
        except (ConnectorError, KeyError, TypeError) as exc:
            raise AuthError(
                "The token endpoint answered without an access_token.",
                status=response.status,
                hint="Check the token URL.",
            ) from exc
        now = self._clock()
        expires_in = payload.get("expires_in")
        refresh = payload.get("refresh_token")
        refresh_in = payload.get("refresh_token_expires_in")
        token = TokenSet(
            access_token=access,
            token_type=str(payload.get("token_type") or "Bearer"),
            expires_at=now + float(expires_in) if expires_in else None,
            refresh_token=str(refresh) if refresh else None,
            refresh_expires_at=now + float(refresh_in) if refresh_in else jwt_expiry(refresh),
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
    """OAuth 2.0 refresh-token grant. A rotated refresh token replaces ours and is passed to on_token.

    A refused refresh token (``invalid_grant``: expired or revoked) raises :class:`ReconnectRequired`
    after asking the reconnect listener whether a newer one was stored meanwhile."""

    grant_type = "refresh_token"
    grant_can_lapse = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str = "",
        *,
        refresh_token: str | None,
        **kw: Any,
    ):
        super().__init__(token_url, client_id, client_secret, **kw)
        self._refresh_token = refresh_token

    def secrets(self) -> Iterable[str]:
        return [*super().secrets(), *([self._refresh_token] if self._refresh_token else [])]

    def _grant_params(self) -> dict[str, str]:
        return {"refresh_token": self._refresh_token or ""}

    def _adopt_refresh_token(self, refresh_token: str) -> bool:
        if refresh_token == self._refresh_token:
            return False
        self._refresh_token = refresh_token
        self._remember(refresh_token)
        return True

    def _after_fetch(self, token: TokenSet) -> None:
        if token.refresh_token:
            self._refresh_token = token.refresh_token
        else:
            token.refresh_token = self._refresh_token
