"""How a Kantata OX connection authenticates, as Kantata documents it.

Kantata's API takes an OAuth 2.0 bearer token on every request. A token comes one of two ways:

* **Connect** (authorization code): the browser goes to ``https://app.mavenlink.com/oauth/authorize``;
  the code is exchanged at ``https://app.mavenlink.com/oauth/token`` with the application's client id
  and secret (in the body) and the same ``redirect_uri``. Kantata's tokens do not expire and come
  without a refresh token; a revoked token shows the connection as "reconnect".
* **A pasted token**: the token an account administrator gets for a backend connector on the
  application's page (the standard bearer type).

Kantata offers no client credentials grant, so there is none here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import BEARER, AuthorizationCodeGrant, CredentialType, authorization_code_type

AUTHORIZE_URL = "https://app.mavenlink.com/oauth/authorize"
TOKEN_URL = "https://app.mavenlink.com/oauth/token"


def _url(values: Mapping[str, Any], name: str, default: str) -> str:
    return str(values.get(name) or default)


AUTHORIZATION_CODE = authorization_code_type(
    "kantata_oauth",
    "Kantata OAuth (Connect)",
    {
        "type": "object",
        "required": ["client_id", "client_secret"],
        "properties": {
            "client_id": {"type": "string", "title": "Application id (client id)", "minLength": 1},
            "client_secret": {
                "type": "string",
                "title": "Application secret",
                "writeOnly": True,
                "minLength": 1,
            },
            "authorize_url": {
                "type": "string",
                "title": "Authorization URL",
                "format": "uri",
                "default": AUTHORIZE_URL,
            },
            "token_url": {"type": "string", "title": "Token URL", "format": "uri", "default": TOKEN_URL},
        },
    },
    AuthorizationCodeGrant(
        authorize_url=lambda v, c: _url(v, "authorize_url", AUTHORIZE_URL),
        token_url=lambda v, c: _url(v, "token_url", TOKEN_URL),
    ),
    description="Click Connect and approve the application in Kantata OX. Kantata's tokens do not expire.",
)

CREDENTIAL_TYPES: tuple[CredentialType, ...] = (AUTHORIZATION_CODE, BEARER)
