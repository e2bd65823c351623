"""How a NetSuite connection authenticates, as NetSuite documents it; every host follows from the account.

The account id (``1234567``, a sandbox ``1234567_SB1``) names the hosts: REST and the token endpoint at
``https://<account>.suitetalk.api.netsuite.com`` (``.../services/rest/auth/oauth2/v1/token``), the
consent page at ``https://<account>.app.netsuite.com/app/login/oauth2/authorize.nl`` (``_`` becomes
``-``, lower case). A connection with an explicit REST base URL (a proxy, the sandbox) keeps every
endpoint on that base.

* **OAuth 2.0 client credentials (M2M)**: a client credentials grant whose ``client_assertion`` is a JWT
  signed with the private key of the certificate mapped to the integration (header ``kid`` = the
  certificate id; ``alg`` PS256/384/512 or ES256/384/512; claims ``iss`` client id, ``scope``, ``aud``
  token endpoint, ``iat``, ``exp`` under an hour later). No refresh token: a new assertion each time.
* **OAuth 2.0 authorization code** (Connect, PKCE): the token request authenticates the client with HTTP
  Basic (``client_id:client_secret``). Refresh tokens expire (7 days unless the integration says
  otherwise; the token's own ``exp`` is used when it is a JWT), so the connection warns before and asks
  for Connect again after.
* **Token-based authentication** (OAuth 1.0a, HMAC-SHA256): consumer key/secret and token id/secret sign
  every request; ``realm`` is the account id in upper case (``1234567_SB1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.base import AuthorizationCodeGrant, CredentialType, authorization_code_type
from connectors.errors import InvalidInput
from connectors.http.jwt_grants import NETSUITE_ALGORITHMS, OAuth2ClientAssertion
from connectors.http.oauth1 import OAuth1Auth

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
AUTHORIZE_PATH = "/app/login/oauth2/authorize.nl"
REST_DOMAIN = ".suitetalk.api.netsuite.com"
APP_DOMAIN = ".app.netsuite.com"
SCOPES = ("restlets", "rest_webservices", "suite_analytics")
REFRESH_TOKEN_LIFETIME_S = 7 * 24 * 3600


def host_label(account_id: str) -> str:
    """``1234567_SB1`` -> ``1234567-sb1``: the account as it appears in NetSuite host names."""
    return account_id.strip().lower().replace("_", "-")


def rest_base(account_id: str) -> str:
    return f"https://{host_label(account_id)}{REST_DOMAIN}"


def _account(config: Mapping[str, Any]) -> str:
    """The account id from the settings, else read back from a NetSuite REST host name."""
    if config.get("account_id"):
        return str(config["account_id"])
    host = urlsplit(str(config.get("base_url") or "")).hostname or ""
    if host.endswith(REST_DOMAIN):
        return host[: -len(REST_DOMAIN)].upper().replace("-", "_")
    return ""


def token_url(config: Mapping[str, Any]) -> str:
    return str(config.get("base_url") or rest_base(_account(config))).rstrip("/") + TOKEN_PATH


def authorize_url(values: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    if values.get("authorize_url"):
        return str(values["authorize_url"])
    base = str(config.get("base_url") or "").rstrip("/")
    host = urlsplit(base).hostname or ""
    if not base or host.endswith(REST_DOMAIN):
        return f"https://{host_label(_account(config))}{APP_DOMAIN}{AUTHORIZE_PATH}"
    return base + AUTHORIZE_PATH  # a proxy or the sandbox: everything under one base


def realm(values: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    return str(values.get("realm") or _account(config).upper())


def scopes(values: Mapping[str, Any]) -> list[str]:
    raw = str(values.get("scope") or "rest_webservices")
    chosen = [s for s in (p.strip() for p in raw.replace(" ", ",").split(",")) if s]
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"Unknown NetSuite scope {unknown[0]!r}.", hint="Use " + ", ".join(SCOPES) + ".")
    return chosen


_SCOPE: dict[str, Any] = {
    "type": "string",
    "title": "Scopes",
    "default": "rest_webservices",
    "description": "Comma separated: rest_webservices, restlets, suite_analytics",
}


def _m2m(values: Mapping[str, Any], *, config: Mapping[str, Any], **_: Any) -> OAuth2ClientAssertion:
    url = token_url(config)
    return OAuth2ClientAssertion(
        url,
        str(values["client_id"]),
        private_key=str(values["private_key"]),
        key_id=str(values["certificate_id"]),
        algorithm=str(values.get("algorithm") or "PS256"),
        scopes=scopes(values),
        audience=url,
        min_rsa_bits=3072,  # NetSuite's certificate conditions: RSA 3072 or 4096 bits, or EC
    )


CLIENT_CREDENTIALS = CredentialType(
    key="netsuite_client_credentials",
    label="NetSuite OAuth 2.0 client credentials (M2M, certificate)",
    schema={
        "type": "object",
        "required": ["client_id", "certificate_id", "private_key"],
        "properties": {
            "client_id": {"type": "string", "title": "Client id (integration record)", "minLength": 1},
            "certificate_id": {
                "type": "string",
                "title": "Certificate id",
                "description": "From Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup",
                "minLength": 1,
            },
            "private_key": {
                "type": "string",
                "title": "Private key (PEM) of the mapped certificate",
                "writeOnly": True,
                "minLength": 1,
            },
            "algorithm": {
                "type": "string",
                "title": "Signing algorithm",
                "enum": list(NETSUITE_ALGORITHMS),
                "default": "PS256",
            },
            "scope": _SCOPE,
        },
    },
    build=_m2m,
    description="Machine to machine: a JWT signed with the key of the certificate you mapped to the "
    "integration's entity and role; no user consent, no refresh token.",
    wants_config=True,
)

AUTHORIZATION_CODE = authorization_code_type(
    "netsuite_authorization_code",
    "NetSuite OAuth 2.0 authorization code (Connect)",
    {
        "type": "object",
        "required": ["client_id", "client_secret"],
        "properties": {
            "client_id": {"type": "string", "title": "Client id (integration record)", "minLength": 1},
            "client_secret": {"type": "string", "title": "Client secret", "writeOnly": True, "minLength": 1},
            "scope": _SCOPE,
            "authorize_url": {
                "type": "string",
                "title": "Authorization URL (overrides the account's)",
                "format": "uri",
            },
        },
    },
    AuthorizationCodeGrant(
        authorize_url=authorize_url,
        token_url=lambda v, c: token_url(c),
        default_scope="rest_webservices",
        auth_method="client_secret_basic",
        refresh_token_lifetime_s=REFRESH_TOKEN_LIFETIME_S,
        format_scope=lambda raw: " ".join(scopes({"scope": raw})),  # authorize.nl: space separated
    ),
    description="Click Connect and log in to NetSuite to approve the integration for a role. Refresh tokens "
    "expire (7 days by default): the connection warns before, then asks to connect again.",
)


def _tba(values: Mapping[str, Any], *, config: Mapping[str, Any], **_: Any) -> OAuth1Auth:
    return OAuth1Auth(
        str(values["consumer_key"]),
        str(values["consumer_secret"]),
        str(values["token_id"]),
        str(values["token_secret"]),
        realm=realm(values, config) or None,
        signature_method="HMAC-SHA256",
    )


TOKEN_BASED = CredentialType(
    key="netsuite_tba",
    label="NetSuite token-based authentication (OAuth 1.0a)",
    schema={
        "type": "object",
        "required": ["consumer_key", "consumer_secret", "token_id", "token_secret"],
        "properties": {
            "consumer_key": {"type": "string", "title": "Consumer key", "minLength": 1},
            "consumer_secret": {
                "type": "string",
                "title": "Consumer secret",
                "writeOnly": True,
                "minLength": 1,
            },
            "token_id": {"type": "string", "title": "Token id", "minLength": 1},
            "token_secret": {"type": "string", "title": "Token secret", "writeOnly": True, "minLength": 1},
            "realm": {"type": "string", "title": "Realm (defaults to the account id, e.g. 1234567_SB1)"},
        },
    },
    build=_tba,
    description="For accounts that use token-based authentication: every request is signed with HMAC-SHA256.",
    wants_config=True,
)

CREDENTIAL_TYPES: tuple[CredentialType, ...] = (CLIENT_CREDENTIALS, AUTHORIZATION_CODE, TOKEN_BASED)
