"""How a Business Central connection authenticates: Microsoft Entra ID, as Microsoft documents it.

* **Client credentials** (service to service): ``POST {authority}/{tenant id}/oauth2/v2.0/token`` with
  the app registration's client id and secret and the scope
  ``https://api.businesscentral.dynamics.com/.default``; the app must be registered and granted
  permissions on the Microsoft Entra Applications page in Business Central.
* **Authorization code** (delegated, Connect with PKCE): consent at
  ``{authority}/{tenant id}/oauth2/v2.0/authorize`` for the delegated scope with ``offline_access`` (for
  a refresh token); calls then run as the consenting user.

``authority`` is https://login.microsoftonline.com unless a national cloud (or the sandbox) is used.
The environment name is part of the connection's base URL
(``https://api.businesscentral.dynamics.com/v2.0/{tenant id}/{environment}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import AuthorizationCodeGrant, CredentialType, authorization_code_type
from connectors.http.auth import OAuth2ClientCredentials

AUTHORITY = "https://login.microsoftonline.com"
APP_SCOPE = "https://api.businesscentral.dynamics.com/.default"
DELEGATED_SCOPE = "https://api.businesscentral.dynamics.com/Financials.ReadWrite.All offline_access"

_TENANT: dict[str, Any] = {
    "type": "string",
    "title": "Tenant id",
    "description": "The Microsoft Entra tenant (directory) id or its domain, e.g. contoso.onmicrosoft.com",
    "pattern": "^[A-Za-z0-9.-]+$",
}
_AUTHORITY: dict[str, Any] = {"type": "string", "title": "Authority", "format": "uri", "default": AUTHORITY}
_CLIENT_ID: dict[str, Any] = {"type": "string", "title": "Application (client) id", "minLength": 1}
_SECRET: dict[str, Any] = {"type": "string", "title": "Client secret", "writeOnly": True, "minLength": 1}


def endpoint(values: Mapping[str, Any], name: str) -> str:
    """``{authority}/{tenant}/oauth2/v2.0/{token|authorize}``."""
    authority = str(values.get("authority") or AUTHORITY).rstrip("/")
    return f"{authority}/{values['tenant_id']}/oauth2/v2.0/{name}"


def _client_credentials(
    values: Mapping[str, Any], *, on_token: Any = None, **_: Any
) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        endpoint(values, "token"),
        str(values["client_id"]),
        str(values["client_secret"]),
        scope=str(values.get("scope") or APP_SCOPE),
        on_token=on_token,
    )


CLIENT_CREDENTIALS = CredentialType(
    key="entra_client_credentials",
    label="Microsoft Entra client credentials (service to service)",
    schema={
        "type": "object",
        "required": ["tenant_id", "client_id", "client_secret"],
        "properties": {
            "tenant_id": _TENANT,
            "client_id": _CLIENT_ID,
            "client_secret": _SECRET,
            "scope": {"type": "string", "title": "Scope", "default": APP_SCOPE},
            "authority": _AUTHORITY,
        },
    },
    build=_client_credentials,
    description="An app registration with API.ReadWrite.All (application permission), registered and "
    "granted permissions on Business Central's Microsoft Entra Applications page.",
)

AUTHORIZATION_CODE = authorization_code_type(
    "entra_authorization_code",
    "Microsoft Entra sign-in (Connect, delegated)",
    {
        "type": "object",
        "required": ["tenant_id", "client_id", "client_secret"],
        "properties": {
            "tenant_id": _TENANT,
            "client_id": _CLIENT_ID,
            "client_secret": _SECRET,
            "scope": {"type": "string", "title": "Scopes", "default": DELEGATED_SCOPE},
            "authority": _AUTHORITY,
        },
    },
    AuthorizationCodeGrant(
        authorize_url=lambda v, c: endpoint(v, "authorize"),
        token_url=lambda v, c: endpoint(v, "token"),
        default_scope=DELEGATED_SCOPE,
    ),
    description="Click Connect and sign in with a Business Central user; calls run with that user's "
    "permissions.",
)

CREDENTIAL_TYPES: tuple[CredentialType, ...] = (CLIENT_CREDENTIALS, AUTHORIZATION_CODE)
