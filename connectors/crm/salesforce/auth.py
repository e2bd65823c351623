"""How a Salesforce (or Certinia) connection authenticates, as Salesforce documents it.

* **Web server flow** (OAuth 2.0 authorization code, with PKCE): Connect sends the browser to
  ``<login>/services/oauth2/authorize``; the code is exchanged at ``<login>/services/oauth2/token``
  (client id and secret in the body). The answer names the org's ``instance_url`` (recorded on the
  connection) and a refresh token (scope ``refresh_token``), which renews the access token.
* **JWT bearer flow**: a JWT signed RS256 with the private key of the certificate uploaded to the
  connected app (``iss`` consumer key, ``sub`` user name, ``aud`` the login host, ``exp`` within three
  minutes) is posted as ``assertion`` with grant ``urn:ietf:params:oauth:grant-type:jwt-bearer``.
* Client credentials, a pasted refresh token or a session token (the standard types) stay available.

``<login>`` is https://login.salesforce.com, https://test.salesforce.com for sandboxes, or the org's My
Domain URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import (
    BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    AuthorizationCodeGrant,
    CredentialType,
    authorization_code_type,
)
from connectors.http.jwt_grants import OAuth2JWTBearer

LOGIN_URL = "https://login.salesforce.com"
TOKEN_PATH = "/services/oauth2/token"
AUTHORIZE_PATH = "/services/oauth2/authorize"

_LOGIN: dict[str, Any] = {
    "type": "string",
    "title": "Login URL",
    "format": "uri",
    "default": LOGIN_URL,
    "description": "https://login.salesforce.com, https://test.salesforce.com for a sandbox, or your "
    "My Domain URL",
}
_CLIENT_ID: dict[str, Any] = {"type": "string", "title": "Consumer key (client id)", "minLength": 1}


def login_url(values: Mapping[str, Any]) -> str:
    return str(values.get("login_url") or LOGIN_URL).rstrip("/")


WEB_SERVER = authorization_code_type(
    "salesforce_web_server",
    "Salesforce web server flow (Connect)",
    {
        "type": "object",
        "required": ["client_id"],
        "properties": {
            "login_url": _LOGIN,
            "client_id": _CLIENT_ID,
            "client_secret": {"type": "string", "title": "Consumer secret", "writeOnly": True},
            "scope": {"type": "string", "title": "Scopes", "default": "api refresh_token"},
        },
    },
    AuthorizationCodeGrant(
        authorize_url=lambda v, c: login_url(v) + AUTHORIZE_PATH,
        token_url=lambda v, c: login_url(v) + TOKEN_PATH,
        default_scope="api refresh_token",
        instance_url_field="instance_url",
    ),
    description="Click Connect and log in to Salesforce to approve the connected app. The callback URL "
    "of the connected app must be this server's /oauth/callback/.",
)


def _jwt_bearer(values: Mapping[str, Any], **_: Any) -> OAuth2JWTBearer:
    login = login_url(values)
    return OAuth2JWTBearer(
        login + TOKEN_PATH,
        str(values["client_id"]),
        subject=str(values["username"]),
        audience=str(values.get("audience") or login),
        private_key=str(values["private_key"]),
        algorithm="RS256",
    )


JWT_BEARER = CredentialType(
    key="salesforce_jwt_bearer",
    label="Salesforce JWT bearer flow (certificate)",
    schema={
        "type": "object",
        "required": ["client_id", "username", "private_key"],
        "properties": {
            "login_url": _LOGIN,
            "client_id": _CLIENT_ID,
            "username": {"type": "string", "title": "User name", "minLength": 1},
            "private_key": {
                "type": "string",
                "title": "Private key (PEM) of the connected app's certificate",
                "writeOnly": True,
                "minLength": 1,
            },
            "audience": {
                "type": "string",
                "title": "Audience (aud)",
                "description": "Defaults to the login URL; an Experience Cloud site's URL for its users",
            },
        },
    },
    build=_jwt_bearer,
    description="Server to server without a browser: a JWT signed (RS256) with the key of the certificate "
    "uploaded to the connected app; the user must be pre-authorised for the app.",
)

CREDENTIAL_TYPES: tuple[CredentialType, ...] = (
    WEB_SERVER,
    JWT_BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    BEARER,
)
