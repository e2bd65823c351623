"""What a system's authorization server is like: the hooks a system's `auth.py` fills from its vendor's
documentation. The engine (server.py) runs the flows; a profile says which grants exist, how the client
authenticates, which scopes mean what, how long tokens live, how the tenant is named in URLs and what the
answers and refusals look like."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from ..messages import Request, Response, json_response
from ..tenancy import Tenant
from .clients import ANY_LOOPBACK, Certificate, Client
from .errors import OAuthError
from .tokens import Issued, Principal

if TYPE_CHECKING:
    from ..server import Sandbox


class AuthProfile:
    system = ""  # the System's name
    token_path = ""  # regex over the path below the system prefix (after `locate`)
    authorize_path = ""  # "" when the vendor has no browser consent
    # The grants the vendor documents for this API: authorization_code, refresh_token, client_credentials,
    # jwt_bearer (Salesforce), client_assertion (NetSuite M2M), tba (NetSuite OAuth 1.0a).
    grants: frozenset[str] = frozenset()
    client_auth: tuple[str, ...] = ("basic", "form")  # how a confidential client may send its secret
    code_ttl = 600  # seconds an authorization code stays redeemable
    refresh_ttl: int | None = None  # seconds a refresh token lives (None: until revoked)
    rotate_refresh = False  # a refresh grant also returns a new refresh token
    redirect_uri_required = True
    secret_client_credentials = True  # client_credentials with a client secret (NetSuite: assertions only)
    # The vendor's wording for a failed check: OAuthError.reason -> (error, description, status, code).
    messages: dict[str, tuple[str, str, int, int | None]] = {}
    consent_subject = "admin"  # shown on the consent page as the signed-in user

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    # -- tenants ----------------------------------------------------------------------------------
    def tenant_key(self, tenant: Tenant) -> str:
        """How the vendor names the tenant (org id, account id, Entra tenant id)."""
        return tenant.name

    def locate(self, req: Request) -> Response | None:
        """Read a tenant named in the URL (sets req.tenant, strips it from req.sub_path, sets req.root).
        An unknown tenant gets the vendor's answer. Systems whose tenant is behind the token do nothing."""
        return None

    def find_tenant(self, key: str) -> Tenant | None:
        key = key.casefold()
        for tenant in self.sandbox.tenants.all():
            if self.tenant_key(tenant).casefold() == key or tenant.name == key:
                return tenant
        return None

    def identity(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        """The tenant as this system knows it, with the URLs a connection to it uses."""
        return {"id": self.tenant_key(tenant)}

    def default_client(self, tenant: Tenant) -> Client:
        """The tenant's default client (`<tenant>-client` / `<tenant>-secret`)."""
        config = self.sandbox.config
        client_id = config.client_id if tenant.is_default else f"{tenant.name}-client"
        secret = config.client_secret if tenant.is_default else f"{tenant.name}-secret"
        return Client(
            client_id=client_id,
            system=self.system,
            tenant=tenant.name,
            name=f"{tenant.title} default client",
            secret=secret,
            redirect_uris=list(ANY_LOOPBACK),
            grants=sorted(self.grants - {"tba"}),
            scopes=self.default_scopes(),
            run_as=self.default_run_as(tenant),
            default=True,
        )

    def new_client_id(self) -> str:
        return secrets.token_hex(32)

    # -- scopes -----------------------------------------------------------------------------------
    known_scopes: frozenset[str] = frozenset()  # empty: the vendor has no scopes (Kantata)

    def default_scopes(self) -> list[str]:
        return []

    def check_client(self, client: Client) -> None:
        """Refuse a registration the vendor would refuse (raise OAuthError)."""

    def default_run_as(self, tenant: Tenant) -> str:
        return ""

    def grant_scopes(self, client: Client, requested: str | None, grant: str) -> list[str]:
        """The scopes a grant gets: the requested ones (each allowed for the client) or the client's."""
        if not requested:
            return list(client.scopes)
        wanted = [s for s in re.split(r"[\s,]+", requested) if s]
        unknown = [s for s in wanted if s not in client.scopes]
        if unknown:
            raise OAuthError("invalid_scope", f"scope not allowed for this client: {' '.join(unknown)}")
        return wanted

    def issues_refresh(self, scopes: list[str], grant: str) -> bool:
        return grant == "authorization_code"

    def allows(self, principal: Principal, req: Request) -> bool:
        """Whether the token's scopes (or audience) open this API request."""
        return True

    def check_authorize(self, params: dict[str, str]) -> None:
        """Vendor rules on the authorization request beyond RFC 6749's (raise OAuthError)."""

    def check_certificate(self, cert: Certificate) -> None:
        """Refuse a certificate the vendor would refuse (key type and size)."""

    def refresh_ttl_for(self, client: Client) -> int | None:
        return self.refresh_ttl

    def access_ttl(self, grant: str) -> int | None:
        """Seconds an access token lives (None: never expires)."""
        return int(self.sandbox.config.token_ttl)

    def access_prefix(self, tenant: Tenant) -> str:
        return ""

    def subject_for(self, tenant: Tenant, client: Client, grant: str) -> str:
        return client.run_as or self.consent_subject

    # -- vendor-specific grants -------------------------------------------------------------------
    def extension_grant(self, grant_type: str, form: dict[str, str], req: Request) -> Issued | None:
        """Grants beyond RFC 6749's (Salesforce's JWT bearer); None when ``grant_type`` is not one."""
        return None

    def client_assertion(self, client: Client, form: dict[str, str], req: Request) -> list[str]:
        """Verify a client-credentials client assertion; return the granted scopes (NetSuite M2M)."""
        raise OAuthError("invalid_client", "client assertions are not supported here", status=401)

    def oauth1_principal(self, req: Request) -> Principal | None | bool:
        """A principal for an OAuth 1.0a signed request; False when the request is not one."""
        return False

    # -- answers ----------------------------------------------------------------------------------
    def token_body(self, issued: Issued, req: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": issued.access_token, "token_type": "Bearer"}
        if issued.expires_in is not None:
            body["expires_in"] = issued.expires_in
        if issued.scopes:
            body["scope"] = " ".join(issued.scopes)
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        return body

    def shaped(self, err: OAuthError) -> OAuthError:
        """The error as this vendor words it (its `messages` table), else as raised."""
        known = self.messages.get(err.reason)
        if known is None:
            return err
        error, description, status, code = known
        return OAuthError(error, description or err.description, status=status, reason=err.reason, code=code)

    def error(self, err: OAuthError, req: Request) -> Response:
        err = self.shaped(err)
        return json_response(
            err.status,
            {"error": err.error, "error_description": err.description},
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def redirect_extras(self, tenant: Tenant) -> dict[str, str]:
        """Extra parameters on the redirect back from consent (NetSuite adds role, entity and company)."""
        return {}
