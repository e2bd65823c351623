"""A small OAuth 2.0 authorization server and protected API on 127.0.0.1, strict where the real ones are.

It implements what the connectors' grants need, checking each request the way the standards say:

* ``GET /authorize``: consent given at once; redirects to ``redirect_uri`` with ``code`` and ``state``.
* ``POST /token``: ``authorization_code`` (code single use, same ``redirect_uri``, the PKCE verifier must
  hash to the challenge, client authenticated as configured), ``refresh_token`` (rotation optional,
  revocation), ``client_credentials`` with a secret or a JWT ``client_assertion`` (signature checked
  with the registered public key found by ``kid``; ``iss``, ``aud``, ``iat``/``exp`` checked), and the
  JWT bearer grant (RS256, ``iss``/``sub``/``aud``/``exp`` within three minutes).
* ``GET /api/...``: 200 only with a live bearer token; optional extra response headers.

Errors are RFC 6749 JSON (``{"error", "error_description"}``). Everything is in memory; tests read
``requests`` to see what was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeAuthServer:
    client_id: str = "app-client"
    client_secret: str = "app-secret"
    client_auth: str = "post"  # "post" (secret in the form) or "basic" (HTTP Basic); "any" accepts both
    access_ttl: int = 3600
    issue_refresh: bool = True
    rotate_refresh: bool = False
    refresh_as_jwt_ttl: int | None = None  # NetSuite style: the refresh token is a JWT with exp
    instance_url: str = ""  # Salesforce style: named in every token response
    api_headers: dict[str, str] = field(default_factory=dict)
    public_keys: dict[str, Any] = field(default_factory=dict)  # kid (or client id) -> public key
    jwt_subject: str = ""  # the user the JWT bearer grant must name
    authorize_path: str = "/authorize"
    token_path: str = "/token"
    api_prefix: str = "/api"
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, dict[str, str]] = {}
        self._access: dict[str, float] = {}
        self._refresh: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = (
                    dict(parse_qsl(raw))
                    if "form-urlencoded" in (self.headers.get("Content-Type") or "")
                    else {}
                )
                seen = Seen(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), form)
                with server._lock:
                    server.requests.append(seen)
                status, headers, body = server.route(seen)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- what tests do to the server

    def revoke_all(self) -> None:
        """The user withdrew consent: every access and refresh token stops working."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()

    @property
    def token_url(self) -> str:
        return self.url + self.token_path

    @property
    def authorize_url(self) -> str:
        return self.url + self.authorize_path

    def calls(self, path: str, grant: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.requests
            if s.path == path and (grant is None or s.form.get("grant_type") == grant)
        ]

    # -- routing

    def route(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.path == self.authorize_path and seen.method == "GET":
            return self._authorize(seen)
        if seen.path == self.token_path and seen.method == "POST":
            try:
                return 200, {"Cache-Control": "no-store"}, self._token(seen)
            except _Refused as refused:
                return refused.status, {}, {"error": refused.error, "error_description": refused.description}
        if seen.path.startswith(self.api_prefix):
            token = (seen.headers.get("Authorization") or "").removeprefix("Bearer ")
            with self._lock:
                live = self._access.get(token, 0) > time.time()
            if not live:
                return 401, {}, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
            return 200, dict(self.api_headers), {"ok": True, "path": seen.path}
        return 404, {}, {"error": "not_found"}

    def _authorize(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        q = seen.query
        if (
            q.get("response_type") != "code"
            or q.get("client_id") != self.client_id
            or not q.get("redirect_uri")
        ):
            return 400, {}, {"error": "invalid_request"}
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = dict(q)
        back = {"code": code, **({"state": q["state"]} if "state" in q else {})}
        return 302, {"Location": f"{q['redirect_uri']}?{urlencode(back)}"}, b""

    def _token(self, seen: Seen) -> dict[str, Any]:
        form = seen.form
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            self._check_client(seen)
            with self._lock:
                asked = self._codes.pop(form.get("code", ""), None)  # single use
            if asked is None:
                raise _Refused("invalid_grant", "unknown or used authorization code")
            if form.get("redirect_uri") != asked.get("redirect_uri"):
                raise _Refused("invalid_grant", "redirect_uri does not match")
            if "code_challenge" in asked:
                verifier = form.get("code_verifier", "")
                digest = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                )
                if digest != asked["code_challenge"] or asked.get("code_challenge_method") != "S256":
                    raise _Refused("invalid_grant", "PKCE verification failed")
            return self._issue(with_refresh=self.issue_refresh)
        if grant == "refresh_token":
            self._check_client(seen)
            old = form.get("refresh_token", "")
            with self._lock:
                if old not in self._refresh:
                    raise _Refused("invalid_grant", "expired access/refresh token")
                if self.rotate_refresh:
                    self._refresh.discard(old)
            return self._issue(with_refresh=self.rotate_refresh)
        if grant == "client_credentials":
            if "client_assertion" in form:
                self._check_assertion(form)
            else:
                self._check_client(seen)
            return self._issue(with_refresh=False)
        if grant == JWT_BEARER:
            self._check_jwt_bearer(form.get("assertion", ""))
            return self._issue(with_refresh=False)
        raise _Refused("unsupported_grant_type", grant or "(none)")

    def _check_client(self, seen: Seen) -> None:
        basic = seen.headers.get("Authorization") or ""
        if basic.startswith("Basic ") and self.client_auth in ("basic", "any"):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        elif not basic and self.client_auth in ("post", "any"):
            client_id, secret = seen.form.get("client_id", ""), seen.form.get("client_secret", "")
        else:
            raise _Refused("invalid_client", f"client authentication must be {self.client_auth}", 401)
        if client_id != self.client_id or secret != self.client_secret:
            raise _Refused("invalid_client", "bad client credentials", 401)

    def _check_assertion(self, form: dict[str, str]) -> None:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _Refused("invalid_request", "client_assertion_type")
        token = form["client_assertion"]
        header = jwt.get_unverified_header(token)
        key = self.public_keys.get(str(header.get("kid")))
        if key is None or header.get("typ") != "JWT":
            raise _Refused("invalid_client", "unknown kid", 401)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"],
                audience=f"{self.url}{self.token_path}",
                issuer=self.client_id,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise _Refused("invalid_client", f"assertion: {exc}", 401) from None
        if claims["exp"] - claims["iat"] >= 3600:
            raise _Refused("invalid_client", "assertion lives an hour or more", 401)

    def _check_jwt_bearer(self, token: str) -> None:
        key = self.public_keys.get(self.client_id)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.url,
                issuer=self.client_id,
                options={"require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise _Refused("invalid_grant", f"assertion: {exc}") from None
        if claims["sub"] != self.jwt_subject or claims["exp"] > time.time() + 180 + 5:
            raise _Refused("invalid_grant", "user hasn't approved this consumer or exp too far")

    def _issue(self, *, with_refresh: bool) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(16)
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": self.access_ttl}
        with self._lock:
            self._access[access] = time.time() + self.access_ttl
            if with_refresh:
                refresh = "rt-" + secrets.token_urlsafe(16)
                if self.refresh_as_jwt_ttl is not None:
                    exp = int(time.time()) + self.refresh_as_jwt_ttl
                    refresh = jwt.encode(
                        {"exp": exp, "rt": refresh}, "server-key-0123456789abcdef0123456789", "HS256"
                    )
                self._refresh.add(refresh)
                body["refresh_token"] = refresh
        if self.instance_url:
            body["instance_url"] = self.instance_url
        return body


class _Refused(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status
