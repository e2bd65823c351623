"""Salesforce's authorization server as Salesforce documents it (Certinia shares the org and its tokens).

- Web server flow (authorization code, PKCE S256): https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm
- JWT bearer flow (RS256, the connected app's certificate; iss, sub, aud, exp):
  https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
- Client credentials flow (a run-as user): https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm
- Refresh token flow: https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_refresh_token_flow.htm

The org behind a token is the tenant: the access token starts with the org id (`00D...!`), as a real
session id does, and the token response's `instance_url` is where that org's API lives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import zlib
from typing import Any

from ..platform.messages import Request
from ..platform.oauth import assertions
from ..platform.oauth.clients import Client
from ..platform.oauth.errors import OAuthError
from ..platform.oauth.profile import AuthProfile
from ..platform.oauth.tokens import Issued, Principal
from ..platform.tenancy import Tenant
from .schema import make_id

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_ORG_ID = "00DSANDBOX000001EAA"  # the org id the single-tenant sandbox always reported
INTEGRATION_USERNAME = "integration@northwind-advisory.com.sandbox"  # seeded in every org (seed.py)
INTEGRATION_USER_ID = make_id("005", 1)
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
JWT_MAX_AHEAD = 180  # "exp: ... within 3 minutes"
SCOPES = frozenset(
    "api refresh_token offline_access full web id openid profile email address phone chatter_api "
    "visualforce custom_permissions wave_api lightning content".split()
)


class SalesforceAuth(AuthProfile):
    system = "salesforce"
    token_path = "/services/oauth2/token"
    authorize_path = "/services/oauth2/authorize"
    grants = frozenset({"authorization_code", "refresh_token", "client_credentials", "jwt_bearer"})
    client_auth = ("form", "basic")
    code_ttl = 15 * 60  # "the authorization code is valid for 15 minutes"
    refresh_ttl = None  # the connected app's default refresh token policy: valid until revoked
    known_scopes = SCOPES
    consent_subject = INTEGRATION_USERNAME
    messages = {
        "unknown_client": ("invalid_client_id", "client identifier invalid", 400, None),
        "bad_secret": ("invalid_client", "invalid client credentials", 400, None),
        "missing_secret": ("invalid_client", "invalid client credentials", 400, None),
        "auth_method": ("invalid_client", "invalid client credentials", 400, None),
        "unknown_code": ("invalid_grant", "authentication failure", 400, None),
        "code_reused": ("invalid_grant", "authentication failure", 400, None),
        "code_expired": ("invalid_grant", "expired authorization code", 400, None),
        "redirect_mismatch": ("redirect_uri_mismatch", "redirect_uri must match configuration", 400, None),
        "pkce_missing": ("invalid_grant", "invalid code verifier", 400, None),
        "pkce_mismatch": ("invalid_grant", "invalid code verifier", 400, None),
        "pkce_unexpected": ("invalid_grant", "invalid code verifier", 400, None),
        "refresh_unknown": ("invalid_grant", "expired access/refresh token", 400, None),
        "refresh_expired": ("invalid_grant", "expired access/refresh token", 400, None),
        "grant_unsupported": ("unsupported_grant_type", "grant type not supported", 400, None),
        "assertion_audience": ("invalid_grant", "audience is invalid", 400, None),
    }

    # -- the org ----------------------------------------------------------------------------------
    def tenant_key(self, tenant: Tenant) -> str:
        if tenant.is_default:
            return DEFAULT_ORG_ID
        return make_id("00D", zlib.crc32(tenant.name.encode()) % 62**7)

    def identity(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        return {
            "id": self.tenant_key(tenant),
            "login_url": f"{base_url}/salesforce",
            "instance_url": f"{base_url}/salesforce",
            "token_url": f"{base_url}/salesforce{self.token_path}",
            "authorize_url": f"{base_url}/salesforce{self.authorize_path}",
            "jwt_audience": f"{base_url}/salesforce",
            "integration_user": INTEGRATION_USERNAME,
        }

    def access_prefix(self, tenant: Tenant) -> str:
        return self.tenant_key(tenant)[:15] + "!"

    def new_client_id(self) -> str:
        import secrets

        return "3MVG9" + secrets.token_urlsafe(64).replace("-", "A").replace("_", "z")[:80]

    # -- scopes -----------------------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        return ["api", "refresh_token"]

    def default_run_as(self, tenant: Tenant) -> str:
        return INTEGRATION_USERNAME

    def issues_refresh(self, scopes: list[str], grant: str) -> bool:
        return grant == "authorization_code" and bool({"refresh_token", "offline_access"} & set(scopes))

    def allows(self, principal: Principal, req: Request) -> bool:
        return bool({"api", "full"} & set(principal.scopes))  # the REST API needs the api scope

    # -- the JWT bearer flow ----------------------------------------------------------------------
    def extension_grant(self, grant_type: str, form: dict[str, str], req: Request) -> Issued | None:
        if grant_type != JWT_BEARER:
            return None
        assertion = form.get("assertion", "")
        if not assertion:
            raise OAuthError("invalid_request", "assertion is required", reason="assertion_missing")
        claims = assertions.unverified_claims(assertion)
        client = self.sandbox.oauth.client(self, str(claims.get("iss") or ""))
        if client is None:
            raise OAuthError("invalid_client_id", "client identifier invalid", reason="unknown_client")
        if "jwt_bearer" not in client.grants:
            raise OAuthError(
                "invalid_grant", "user hasn't approved this consumer", reason="grant_not_enabled"
            )
        audiences = [*LOGIN_AUDIENCES, f"{req.base_url}/salesforce", f"{req.base_url}/salesforce/"]
        claims = assertions.verify(
            assertion,
            client.certificates,
            algorithms=("RS256",),
            audiences=audiences,
            issuer=client.client_id,
            require=("iss", "sub", "aud", "exp"),
            by_kid=False,
            max_ahead=JWT_MAX_AHEAD,
        )
        tenant = self.sandbox.oauth.tenant(client.tenant)
        user = self._user(tenant, str(claims.get("sub") or ""))
        if user is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer", reason="unknown_user")
        scopes = [s for s in client.scopes if s not in ("refresh_token", "offline_access")]
        issued = self.sandbox.oauth.issue(
            self, client, subject=user["Username"], grant="jwt_bearer", scopes=scopes, refresh=False
        )
        issued.extra["user_id"] = user["Id"]
        return issued

    def _user(self, tenant: Tenant, username: str) -> dict[str, Any] | None:
        """An active user of the org with this username (the JWT's sub)."""
        self.sandbox.tenants.ensure_seeded(tenant.name)
        store = self.sandbox.store.for_tenant(tenant.name)
        needle = username.casefold()
        return next(
            (
                u
                for u in store.all("salesforce", "User")
                if str(u.get("Username", "")).casefold() == needle and u.get("IsActive")
            ),
            None,
        )

    # -- answers ----------------------------------------------------------------------------------
    def token_body(self, issued: Issued, req: Request) -> dict[str, Any]:
        tenant = self.sandbox.oauth.tenant(issued.tenant)
        client = self.sandbox.oauth.client(self, issued.client_id)
        user_id = issued.extra.get("user_id")
        if not user_id:
            user = self._user(tenant, issued.subject)
            user_id = user["Id"] if user else INTEGRATION_USER_ID
        identity = f"{req.base_url}/salesforce/id/{self.tenant_key(tenant)}/{user_id}"
        issued_at = str(int(time.time() * 1000))
        # "Base64-encoded HMAC-SHA256 signature signed with the client_secret containing the concatenated
        # ID and issued_at value"
        key = ((client.secret if client else "") or "").encode()
        signature = base64.b64encode(
            hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "instance_url": f"{req.base_url}/salesforce",
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": signature,
            "scope": " ".join(issued.scopes),
        }
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        return body

    def check_client(self, client: Client) -> None:
        if "client_credentials" in client.grants and not client.run_as:
            raise OAuthError(
                "invalid_request", "run_as (a username of the org) is required for client_credentials"
            )
