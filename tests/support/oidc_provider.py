"""A minimal OpenID Connect provider for tests, on 127.0.0.1 (test code: never part of the product).

It speaks enough of the authorization code flow for a real relying party: a discovery document, an
authorize endpoint with a sign-in form (e-mail and password), a token endpoint that checks the client
secret, the redirect URI and the PKCE verifier and issues an id_token signed RS256 with PyJWT, the JWKS
and a userinfo endpoint. People are registered with ``provider.add_person(email, password, **claims)``.
``provider.requests`` records each call for assertions; ``provider.tamper`` lets a test break a token.

Started by the ``oidc_provider`` fixture (a thread in the test process, stopped at teardown); the web
server under test reaches it through its organisation's egress allow-list (``127.0.0.1:<port>``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class Person:
    email: str
    password: str
    claims: dict[str, Any]


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    method: str
    email: str
    used: bool = False


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)  # empty: any (tests register as they go)


class OidcProvider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.people: dict[str, Person] = {}
        self.clients: dict[str, Client] = {}
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        #: A function that changes the id_token's claims before signing (for refusal tests).
        self.tamper: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up --------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def add_client(self, client_id: str, secret: str) -> Client:
        client = Client(client_id, secret)
        self.clients[client_id] = client
        return client

    def add_person(self, email: str, password: str, **claims: Any) -> Person:
        person = Person(email, password, {"email": email, "email_verified": True, **claims})
        self.people[email.lower()] = person
        return person

    def start(self) -> OidcProvider:
        handler = type("OidcHandler", (_Handler,), {"provider": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- protocol ------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, person: Person, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": hashlib.sha256(person.email.encode()).hexdigest()[:24],
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **person.claims,
        }
        if self.tamper is not None:
            claims = self.tamper(claims)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def userinfo(self, token: str) -> dict[str, Any] | None:
        email = self.access_tokens.get(token)
        if email is None:
            return None
        person = self.people[email]
        return {"sub": hashlib.sha256(person.email.encode()).hexdigest()[:24], **person.claims}


def _b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1><p>Sign in to continue to {client}.</p>
<form method="post" action="/authorize" data-testid="idp-form">
{hidden}
<label>E-mail <input name="email" id="idp-email" autocomplete="username"></label>
<label>Password <input name="password" id="idp-password" type="password"></label>
<button type="submit" id="idp-submit">Sign in</button>
</form>{error}</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    provider: OidcProvider
    disable_nagle_algorithm = True  # see PLATFORM.md: delayed ACKs add ~40 ms per keep-alive request
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return None

    # --- plumbing ------------------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}

    # --- endpoints -----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.provider.requests.append(("GET", path))
        if path == "/.well-known/openid-configuration":
            return self._json(200, self.provider.discovery())
        if path == "/jwks":
            return self._json(200, self.provider.jwks())
        if path == "/userinfo":
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            info = self.provider.userinfo(token)
            return self._json(200, info) if info else self._json(401, {"error": "invalid_token"})
        if path == "/authorize":
            return self._authorize_page(self._query())
        return self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.provider.requests.append(("POST", path))
        form = self._form()
        if path == "/authorize":
            return self._authorize(form)
        if path == "/token":
            return self._token(form)
        return self._json(404, {"error": "not_found"})

    def _authorize_page(self, params: dict[str, str], error: str = "") -> None:
        client = self.provider.clients.get(params.get("client_id", ""))
        if (
            client is None
            or params.get("response_type") != "code"
            or "openid" not in params.get("scope", "").split()
        ):
            return self._json(400, {"error": "invalid_request"})
        keep = (
            "client_id",
            "redirect_uri",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "scope",
        )
        hidden = "\n".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">' for k in keep
        )
        page = LOGIN_PAGE.format(
            client=html.escape(client.client_id),
            hidden=hidden,
            error=f'<p id="idp-error">{html.escape(error)}</p>' if error else "",
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _authorize(self, form: dict[str, str]) -> None:
        person = self.provider.people.get(form.get("email", "").lower())
        if person is None or not secrets.compare_digest(person.password, form.get("password", "")):
            return self._authorize_page({**form, "response_type": "code"}, error="Wrong e-mail or password.")
        code = secrets.token_urlsafe(24)
        self.provider.grants[code] = Grant(
            client_id=form["client_id"],
            redirect_uri=form["redirect_uri"],
            nonce=form.get("nonce", ""),
            challenge=form.get("code_challenge", ""),
            method=form.get("code_challenge_method", ""),
            email=person.email.lower(),
        )
        location = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
        self._send(302, b"", "text/plain", {"Location": location})

    def _token(self, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        client = self.provider.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            return self._json(401, {"error": "invalid_client"})
        grant = self.provider.grants.get(form.get("code", ""))
        if (
            grant is None
            or grant.used
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return self._json(400, {"error": "invalid_grant"})
        if grant.challenge and _b64url_sha256(form.get("code_verifier", "")) != grant.challenge:
            return self._json(
                400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            )
        grant.used = True
        person = self.provider.people[grant.email]
        access = secrets.token_urlsafe(24)
        self.provider.access_tokens[access] = grant.email
        self._json(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.provider.id_token(person, grant),
            },
        )


@pytest.fixture
def oidc_provider() -> Iterator[OidcProvider]:
    """A local OpenID provider on 127.0.0.1 (stopped after the test)."""
    provider = OidcProvider().start()
    yield provider
    provider.stop()
