"""Kantata OX's authorization server as Kantata documents it: the authorization code grant only, and
access tokens that do not expire (there are no refresh tokens and no client credentials grant).

- Obtaining tokens for users: https://developer.kantata.com/kantata/specification/section/obtaining-tokens-for-users
- Security ("Kantata OX OAuth access tokens do not expire"):
  https://developer.kantata.com/kantata/specification/section/security
- Registering an application (a name and a callback URL):
  https://developer.kantata.com/kantata/specification/section/registering-your-application

The account behind the token is the tenant. Kantata's token endpoint is Doorkeeper's (Rails), so its
refusals carry Doorkeeper's standard wording.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from ..platform.messages import Request
from ..platform.oauth.clients import Client
from ..platform.oauth.profile import AuthProfile
from ..platform.oauth.tokens import Issued
from ..platform.tenancy import Tenant

_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or unsupported "
    "authentication method."
)
_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used "
    "in the authorization request, or was issued to another client."
)


class KantataAuth(AuthProfile):
    system = "kantata"
    token_path = "/oauth/token"
    authorize_path = "/oauth/authorize"
    grants = frozenset({"authorization_code"})
    client_auth = ("form", "basic")
    code_ttl = 600
    consent_subject = "admin@northwind-advisory.com"
    messages = {
        "unknown_client": ("invalid_client", _INVALID_CLIENT, 401, None),
        "bad_secret": ("invalid_client", _INVALID_CLIENT, 401, None),
        "missing_secret": ("invalid_client", _INVALID_CLIENT, 401, None),
        "auth_method": ("invalid_client", _INVALID_CLIENT, 401, None),
        "unknown_code": ("invalid_grant", _INVALID_GRANT, 400, None),
        "code_reused": ("invalid_grant", _INVALID_GRANT, 400, None),
        "code_expired": ("invalid_grant", _INVALID_GRANT, 400, None),
        "redirect_mismatch": ("invalid_grant", _INVALID_GRANT, 400, None),
        "pkce_mismatch": ("invalid_grant", _INVALID_GRANT, 400, None),
        "pkce_missing": ("invalid_grant", _INVALID_GRANT, 400, None),
        "grant_unsupported": (
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            400,
            None,
        ),
    }

    def tenant_key(self, tenant: Tenant) -> str:
        """The Kantata account id (a number)."""
        return "1000000" if tenant.is_default else str(2000000 + zlib.crc32(tenant.name.encode()) % 7000000)

    def identity(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        return {
            "id": self.tenant_key(tenant),
            "api_url": f"{base_url}/kantata/api/v1",
            "token_url": f"{base_url}/kantata{self.token_path}",
            "authorize_url": f"{base_url}/kantata{self.authorize_path}",
        }

    def grant_scopes(self, client: Client, requested: str | None, grant: str) -> list[str]:
        return []  # Kantata OX has no scopes: a token acts as the user who authorized it

    def issues_refresh(self, scopes: list[str], grant: str) -> bool:
        return False

    def access_ttl(self, grant: str) -> int | None:
        # Authorization-code tokens never expire; the legacy client_credentials tokens keep the
        # configured lifetime (the sandbox's expiry tests use them).
        return None if grant == "authorization_code" else int(self.sandbox.config.token_ttl)

    def token_body(self, issued: Issued, req: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": issued.access_token, "token_type": "bearer"}
        if issued.expires_in is not None:  # legacy client_credentials only
            body["expires_in"] = issued.expires_in
        body["created_at"] = int(time.time())  # Doorkeeper's token response carries it
        return body
