"""The authorization-server engine every system shares: the consent page (authorization code with state
and PKCE S256), the token endpoint (authorization_code, refresh_token, client_credentials with a secret
or a client assertion, plus a profile's own grants such as Salesforce's JWT bearer), client
authentication, and the checks on API requests (bearer tokens, OAuth 1.0a signatures, scopes).

What differs per vendor comes from the system's AuthProfile. The legacy grants (any client of a tenant's
default credentials may use client_credentials on every system, and an authorization code the sandbox
never issued is accepted for them) stay on while `SandboxConfig.legacy_grants` is true, so the product's
current connectors keep working; registered clients always get the documented behaviour.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urlsplit

from ..html import CONSENT_CSP, document, e, html_response
from ..messages import Request, Response, empty_response, json_response
from ..origin import refusal
from ..tenancy import Tenant
from .assertions import unverified_claims
from .clients import Certificate, Client, Clients, parse_certificate
from .errors import OAuthError
from .profile import AuthProfile
from .tokens import Issued, Principal, Tokens

if TYPE_CHECKING:
    from ..server import Sandbox

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PENDING_TTL = 600
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def s256(verifier: str) -> str:
    """RFC 7636 section 4.2: BASE64URL(SHA256(ASCII(code_verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Pending:
    """An authorization request waiting on the consent page for Allow or Deny."""

    id: str
    system: str
    client_id: str
    tenant: str
    redirect_uri: str
    given_redirect: str | None  # as the request sent it: the token request must repeat it
    state: str | None
    scopes: list[str]
    challenge: str | None
    expires: float


class AuthServer:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.clients = Clients(sandbox.store)
        self.tokens = Tokens(sandbox.store)
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    # -- clients ----------------------------------------------------------------------------------
    def ensure_default_clients(self, tenant: Tenant) -> None:
        for profile in self.sandbox.auth_profiles.values():
            client = profile.default_client(tenant)
            if self.clients.get(profile.system, client.client_id) is None:
                self.clients.save(client)

    def register(self, spec: dict) -> Client:
        """A client registered through `POST /_admin/clients` (see sandbox/README.md for the fields)."""
        profile = self.sandbox.auth_profiles.get(str(spec.get("system") or ""))
        if profile is None:
            raise OAuthError("invalid_request", f"system must be one of {sorted(self.sandbox.auth_profiles)}")
        tenant = self.sandbox.tenants.get(str(spec.get("tenant") or "default"))
        if tenant is None:
            raise OAuthError("invalid_request", f"unknown tenant {spec.get('tenant')!r}")
        grants = spec.get("grants") or sorted(profile.grants - {"tba"})
        if not isinstance(grants, list) or any(g not in profile.grants for g in grants):
            raise OAuthError("invalid_request", f"grants must be among {sorted(profile.grants)}")
        uris = spec.get("redirect_uris") or []
        if isinstance(uris, str):
            uris = [u for u in uris.split() if u]
        for uri in uris:
            parts = urlsplit(str(uri))
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
                raise OAuthError("invalid_request", f"redirect_uris: {uri!r} is not an absolute http(s) URL")
        scopes = spec.get("scopes") or profile.default_scopes()
        if isinstance(scopes, str):
            scopes = [s for s in re.split(r"[\s,]+", scopes) if s]
        unknown = [s for s in scopes if profile.known_scopes and s not in profile.known_scopes]
        if unknown:
            raise OAuthError(
                "invalid_request", f"scopes: unknown {unknown}; known: {sorted(profile.known_scopes)}"
            )
        client_id = str(spec.get("client_id") or profile.new_client_id())
        if self.client(profile, client_id) is not None:
            raise OAuthError("invalid_request", f"client_id {client_id!r} is already registered")
        public = spec.get("public") in (True, "true", "on", "1")
        hours = spec.get("refresh_token_hours")
        client = Client(
            client_id=client_id,
            system=profile.system,
            tenant=tenant.name,
            name=str(spec.get("name") or "Registered client"),
            secret=None if public else str(spec.get("client_secret") or secrets.token_hex(32)),
            redirect_uris=[str(u) for u in uris],
            grants=list(grants),
            scopes=list(scopes),
            run_as=str(spec.get("run_as") or profile.default_run_as(tenant)),
            refresh_token_hours=int(hours) if hours not in (None, "") else None,
        )
        profile.check_client(client)
        if spec.get("certificate"):
            client.certificates.append(self._certificate(profile, str(spec["certificate"])))
        return self.clients.save(client)

    def _certificate(self, profile: AuthProfile, pem: str) -> Certificate:
        cert = parse_certificate(pem)
        profile.check_certificate(cert)
        return cert

    def add_certificate(self, client: Client, pem: str) -> Certificate:
        profile = self.sandbox.auth_profiles[client.system]
        cert = self._certificate(profile, pem)
        client.certificates = [c for c in client.certificates if c.id != cert.id] + [cert]
        self.clients.save(client)
        return cert

    def issue_tba(self, client: Client) -> tuple[str, str]:
        """A token-based-authentication token pair for a client with the tba grant (NetSuite)."""
        profile = self.sandbox.auth_profiles[client.system]
        if "tba" not in profile.grants or "tba" not in client.grants:
            raise OAuthError("invalid_request", "this client is not enabled for token-based authentication")
        tenant = self.tenant(client.tenant)
        return self.tokens.issue_tba(
            tenant=tenant.name,
            system=client.system,
            client_id=client.client_id,
            subject=profile.subject_for(tenant, client, "tba"),
            scopes=list(client.scopes),
        )

    def client(self, profile: AuthProfile, client_id: str) -> Client | None:
        return self.clients.get(profile.system, client_id)

    def legacy(self, client: Client) -> bool:
        return client.default and bool(self.sandbox.config.legacy_grants)

    def authenticate_client(self, profile: AuthProfile, form: dict[str, str], req: Request) -> Client:
        """RFC 6749 section 2.3.1: client_id and client_secret in HTTP Basic or in the form (as the
        profile allows); a public client sends its client_id only."""
        client_id, secret, via = form.get("client_id", ""), form.get("client_secret"), "form"
        basic = req.header("authorization")
        if basic[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(basic[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise OAuthError(
                    "invalid_client", "malformed Basic credentials", status=401, reason="bad_secret"
                ) from None
            user, password = unquote(user), unquote(password)
            if client_id and client_id != user:
                raise OAuthError(
                    "invalid_request",
                    "client_id differs from the Basic credentials",
                    reason="client_mismatch",
                )
            client_id, secret, via = user, password, "basic"
        if not client_id:
            raise OAuthError("invalid_client", "client_id is required", status=401, reason="unknown_client")
        client = self.client(profile, client_id)
        if client is None or (req.tenant and client.tenant != req.tenant):
            raise OAuthError(
                "invalid_client", "client identifier invalid", status=401, reason="unknown_client"
            )
        if client.public:
            if secret:
                raise OAuthError(
                    "invalid_client", "a public client has no secret", status=401, reason="bad_secret"
                )
            return client
        if secret is None:
            raise OAuthError(
                "invalid_client", "client authentication is required", status=401, reason="missing_secret"
            )
        if via not in profile.client_auth and not self.legacy(client):
            raise OAuthError(
                "invalid_client",
                f"authenticate the client with {' or '.join(profile.client_auth)}",
                status=401,
                reason="auth_method",
            )
        if not secrets.compare_digest(secret.encode(), (client.secret or "").encode()):
            raise OAuthError("invalid_client", "invalid client credentials", status=401, reason="bad_secret")
        return client

    def tenant(self, name: str) -> Tenant:
        tenant = self.sandbox.tenants.get(name)
        if tenant is None:  # a client of a removed tenant: refuse as the vendor refuses unknown clients
            raise OAuthError(
                "invalid_client", "client identifier invalid", status=401, reason="unknown_client"
            )
        return tenant

    # -- token endpoint ---------------------------------------------------------------------------
    def token_endpoint(self, profile: AuthProfile, req: Request) -> Response:
        try:
            if req.method != "POST":
                raise OAuthError(
                    "invalid_request", "the token endpoint takes POST", status=405, reason="method"
                )
            form = req.form()
            grant_type = form.get("grant_type", "")
            if not grant_type:
                raise OAuthError("invalid_request", "grant_type is required", reason="missing_grant_type")
            issued = profile.extension_grant(grant_type, form, req)
            if issued is None:
                handler = {
                    "authorization_code": self._authorization_code,
                    "refresh_token": self._refresh_token,
                    "client_credentials": self._client_credentials,
                }.get(grant_type)
                if handler is None:
                    raise OAuthError(
                        "unsupported_grant_type",
                        f"grant type not supported: {grant_type}",
                        reason="grant_unsupported",
                    )
                issued = handler(profile, form, req)
        except OAuthError as err:
            return profile.error(err, req)
        return json_response(200, profile.token_body(issued, req), NO_STORE)

    def issue(
        self,
        profile: AuthProfile,
        client: Client,
        *,
        subject: str,
        grant: str,
        scopes: list[str],
        refresh: bool | None = None,
    ) -> Issued:
        tenant = self.tenant(client.tenant)
        with_refresh = profile.issues_refresh(scopes, grant) if refresh is None else refresh
        return self.tokens.issue(
            tenant=tenant.name,
            system=profile.system,
            client_id=client.client_id,
            subject=subject,
            grant=grant,
            scopes=scopes,
            ttl=profile.access_ttl(grant),
            refresh_ttl=profile.refresh_ttl_for(client) if with_refresh else False,
            prefix=profile.access_prefix(tenant),
        )

    @staticmethod
    def require_grant(profile: AuthProfile, client: Client, grant: str) -> None:
        if grant not in profile.grants:
            raise OAuthError(
                "unsupported_grant_type", f"grant type not supported: {grant}", reason="grant_unsupported"
            )
        if grant not in client.grants:
            raise OAuthError(
                "unauthorized_client",
                f"this client may not use the {grant} grant",
                reason="grant_not_enabled",
            )

    def _authorization_code(self, profile: AuthProfile, form: dict[str, str], req: Request) -> Issued:
        client = self.authenticate_client(profile, form, req)
        code = form.get("code", "")
        if not code:
            raise OAuthError("invalid_request", "code is required", reason="missing_code")
        row = self.tokens.find(code, "code", profile.system)
        if row is None and self.legacy(client):
            # Legacy: the sandbox used to approve every code; the default clients keep that for now.
            scopes = list(client.scopes)
            return self.issue(profile, client, subject="user", grant="authorization_code", scopes=scopes)
        self.require_grant(profile, client, "authorization_code")
        if row is None or row["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "invalid authorization code", reason="unknown_code")
        if row.get("used"):
            self.tokens.revoke(row.get("issued") or [])  # RFC 6749 section 4.1.2: revoke what it issued
            raise OAuthError("invalid_grant", "authorization code already redeemed", reason="code_reused")
        if row["expires_at"] < time.time():
            raise OAuthError("invalid_grant", "expired authorization code", reason="code_expired")
        if row.get("redirect_uri") and form.get("redirect_uri") != row["redirect_uri"]:
            raise OAuthError(
                "invalid_grant",
                "redirect_uri must match the authorization request",
                reason="redirect_mismatch",
            )
        challenge, verifier = row.get("challenge"), form.get("code_verifier")
        if challenge:
            if not verifier:
                raise OAuthError("invalid_grant", "code_verifier is required (PKCE)", reason="pkce_missing")
            if not _VERIFIER.match(verifier) or not secrets.compare_digest(s256(verifier), challenge):
                raise OAuthError("invalid_grant", "invalid code verifier", reason="pkce_mismatch")
        elif verifier:
            raise OAuthError(
                "invalid_grant",
                "code_verifier sent but the request had no code_challenge",
                reason="pkce_unexpected",
            )
        issued = self.issue(
            profile, client, subject=row["subject"], grant="authorization_code", scopes=list(row["scopes"])
        )
        self.tokens.mark_code_used(row, issued)
        return issued

    def _refresh_token(self, profile: AuthProfile, form: dict[str, str], req: Request) -> Issued:
        client = self.authenticate_client(profile, form, req)
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required", reason="missing_refresh")
        row = self.tokens.find(token, "refresh", profile.system)
        if row is None or row["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "expired access/refresh token", reason="refresh_unknown")
        if row["expires_at"] < time.time():
            raise OAuthError("invalid_grant", "refresh token expired", reason="refresh_expired")
        scopes = list(row.get("scopes") or [])
        if form.get("scope"):
            wanted = [s for s in re.split(r"[\s,]+", form["scope"]) if s]
            if any(s not in scopes for s in wanted):
                raise OAuthError("invalid_scope", "scope exceeds the original grant", reason="scope_invalid")
            scopes = wanted
        issued = self.issue(
            profile,
            client,
            subject=row.get("subject", ""),
            grant="refresh_token",
            scopes=scopes,
            refresh=False,
        )
        if profile.rotate_refresh:
            issued.refresh_token = self.tokens.issue_refresh(
                tenant=client.tenant,
                system=profile.system,
                client_id=client.client_id,
                subject=row.get("subject", ""),
                scopes=scopes,
                ttl=profile.refresh_ttl_for(client),
            )
        return issued

    def _client_credentials(self, profile: AuthProfile, form: dict[str, str], req: Request) -> Issued:
        if form.get("client_assertion") or form.get("client_assertion_type"):
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise OAuthError(
                    "invalid_request",
                    f"client_assertion_type must be {ASSERTION_TYPE}",
                    reason="assertion_type",
                )
            if not form.get("client_assertion"):
                raise OAuthError(
                    "invalid_request", "client_assertion is required", reason="assertion_missing"
                )
            client, scopes = self.assertion_client(profile, form, req)
            self.require_grant(profile, client, "client_assertion")
            return self.issue(
                profile,
                client,
                subject=profile.subject_for(self.tenant(client.tenant), client, "client_credentials"),
                grant="client_credentials",
                scopes=scopes,
                refresh=False,
            )
        client = self.authenticate_client(profile, form, req)
        legacy = self.legacy(client)
        if not legacy and not profile.secret_client_credentials:
            raise OAuthError(
                "invalid_request",
                f"client_credentials needs client_assertion_type={ASSERTION_TYPE} and a client_assertion",
                reason="assertion_missing",
            )
        if client.public:
            raise OAuthError(
                "unauthorized_client",
                "a public client may not use client_credentials",
                reason="grant_not_enabled",
            )
        if not legacy:
            self.require_grant(profile, client, "client_credentials")
        if legacy and not form.get("scope"):
            scopes = list(client.scopes)
        else:
            scopes = profile.grant_scopes(client, form.get("scope"), "client_credentials")
        subject = profile.subject_for(self.tenant(client.tenant), client, "client_credentials")
        return self.issue(
            profile, client, subject=subject, grant="client_credentials", scopes=scopes, refresh=False
        )

    def assertion_client(
        self, profile: AuthProfile, form: dict[str, str], req: Request
    ) -> tuple[Client, list[str]]:
        """The client a client assertion names (``iss``), verified by the profile."""
        claims = unverified_claims(form["client_assertion"])
        client_id = str(claims.get("iss") or form.get("client_id") or "")
        client = self.client(profile, client_id)
        if client is None or (req.tenant and client.tenant != req.tenant):
            raise OAuthError(
                "invalid_client", "client identifier invalid", status=401, reason="unknown_client"
            )
        return client, profile.client_assertion(client, form, req)

    # -- consent (authorization endpoint) ---------------------------------------------------------
    def authorize_endpoint(self, profile: AuthProfile, req: Request) -> Response:
        if req.method == "POST":
            return self._decide(profile, req)
        if req.method not in ("GET", "HEAD"):
            return self._error_page(405, "The authorization endpoint takes GET (and POST from its own page).")
        q = {k: v[0] for k, v in req.query.items()}
        client = self.client(profile, q.get("client_id", ""))
        if client is None or (req.tenant and client.tenant != req.tenant):
            return self._error_page(400, "invalid_client_id: client identifier invalid")
        redirect = q.get("redirect_uri") or ""
        if not redirect and not profile.redirect_uri_required:
            redirect = next((u for u in client.redirect_uris if not u.endswith("*")), "")
        if not redirect:
            return self._error_page(400, "invalid_request: redirect_uri is required")
        if not client.allows_redirect(redirect):
            return self._error_page(
                400, "redirect_uri_mismatch: redirect_uri must match the client's registration"
            )
        state = q.get("state")
        try:
            if q.get("response_type") != "code":
                raise OAuthError("unsupported_response_type", "response_type must be code")
            self.require_grant(profile, client, "authorization_code")
            challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
            if challenge:
                if method != "S256":
                    raise OAuthError("invalid_request", "code_challenge_method must be S256")
                if not _CHALLENGE.match(challenge):
                    raise OAuthError(
                        "invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)"
                    )
            elif client.public:
                raise OAuthError("invalid_request", "a public client must send code_challenge (PKCE)")
            profile.check_authorize(q)
            scopes = profile.grant_scopes(client, q.get("scope"), "authorization_code")
        except OAuthError as err:
            params = {"error": err.error, "error_description": err.description}
            return self._redirect(redirect, params, state)
        pending = Pending(
            id=secrets.token_urlsafe(24),
            system=profile.system,
            client_id=client.client_id,
            tenant=client.tenant,
            redirect_uri=redirect,
            given_redirect=q.get("redirect_uri") or None,
            state=state,
            scopes=scopes,
            challenge=q.get("code_challenge") or None,
            expires=time.time() + PENDING_TTL,
        )
        with self._lock:
            now = time.time()
            for key in [k for k, p in self._pending.items() if p.expires < now]:
                del self._pending[key]
            self._pending[pending.id] = pending
        tenant = self.tenant(client.tenant)
        return self._consent_page(profile, req, client, tenant, pending)

    def _consent_page(
        self, profile: AuthProfile, req: Request, client: Client, tenant: Tenant, pending: Pending
    ) -> Response:
        system = self.sandbox.systems[profile.system]
        scopes = (
            "".join(f"<span class='pill'>{e(s)}</span>" for s in pending.scopes)
            or "<span class='muted'>none</span>"
        )
        body = (
            "<div class='consent'>"
            f"<h1>Allow access to {e(system.title)}?</h1>"
            f"<p><b>{e(client.name)}</b> asks to access <b>{e(tenant.title)}</b>'s {e(system.title)} "
            f"({e(profile.tenant_key(tenant))}) as <b>{e(profile.consent_subject)}</b>.</p>"
            f"<dl><dt>Client id</dt><dd>{e(client.client_id)}</dd><dt>Scopes</dt><dd>{scopes}</dd>"
            f"<dt>Returns to</dt><dd>{e(pending.redirect_uri)}</dd></dl>"
            f"<form method='post' action='{e(req.path)}'>"
            f"<input type='hidden' name='request_id' value='{e(pending.id)}'>"
            "<button type='submit' name='decision' value='allow' data-testid='consent-allow'>Allow</button> "
            "<button type='submit' name='decision' value='deny' class='secondary' "
            "data-testid='consent-deny'>Deny</button></form>"
            "<p class='muted'>Flowbuilder sandbox: consent is simulated; nothing leaves this machine.</p>"
            "</div>"
        )
        return html_response(200, document(f"Allow access - {system.title}", body), csp=CONSENT_CSP)

    def _decide(self, profile: AuthProfile, req: Request) -> Response:
        why = refusal(req, loopback_only=not self.sandbox.config.allow_non_loopback)
        if why:
            return self._error_page(403, f"Refused: {why}")
        form = req.form()
        with self._lock:
            pending = self._pending.pop(form.get("request_id", ""), None)
        if pending is None or pending.system != profile.system or pending.expires < time.time():
            return self._error_page(
                400, "This authorization request expired or was already answered; start again."
            )
        if form.get("decision") != "allow":
            params = {
                "error": "access_denied",
                "error_description": "The resource owner or authorization server denied the request.",
            }
            return self._redirect(pending.redirect_uri, params, pending.state)
        tenant = self.tenant(pending.tenant)
        code = self.tokens.issue_code(
            tenant=tenant.name,
            system=profile.system,
            client_id=pending.client_id,
            subject=profile.consent_subject,
            scopes=pending.scopes,
            redirect_uri=pending.given_redirect,
            challenge=pending.challenge,
            ttl=profile.code_ttl,
        )
        return self._redirect(
            pending.redirect_uri, {"code": code, **profile.redirect_extras(tenant)}, pending.state
        )

    @staticmethod
    def _redirect(uri: str, params: dict[str, str], state: str | None) -> Response:
        if state is not None:
            params = {**params, "state": state}
        sep = "&" if "?" in uri else "?"
        return empty_response(302, {"Location": f"{uri}{sep}{urlencode(params)}", **NO_STORE})

    @staticmethod
    def _error_page(status: int, message: str) -> Response:
        body = f"<div class='consent'><h1>Authorization error</h1><p class='error'>{e(message)}</p></div>"
        return html_response(status, document("Authorization error", body), csp=CONSENT_CSP)

    # -- API requests -----------------------------------------------------------------------------
    def authenticate(self, profile: AuthProfile, req: Request) -> Principal | None:
        """The principal behind an API request's credentials, or None (the system answers 401)."""
        signed = profile.oauth1_principal(req)
        if signed is not False:
            return signed if isinstance(signed, Principal) else None
        scheme, _, token = req.header("authorization").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token.strip():
            return None
        principal = self.tokens.principal(profile.system, token.strip())
        if principal is None or not profile.allows(principal, req):
            return None
        return principal

    def tenant_hint(self, profile: AuthProfile, req: Request) -> str | None:
        """The tenant a request is for, before it is authenticated (faults, limits and stats need it)."""
        if req.tenant:
            return req.tenant
        scheme, _, credential = req.header("authorization").partition(" ")
        if scheme.lower() in ("bearer", "oauth") and credential and "oauth_signature" not in credential:
            return self.tokens.tenant_of(credential.strip())
        client_id = req.arg("client_id")
        if not client_id and req.method == "POST" and "form" in req.header("content-type"):
            client_id = req.form().get("client_id")
        client = self.client(profile, client_id or "") if client_id else None
        return client.tenant if client else None
