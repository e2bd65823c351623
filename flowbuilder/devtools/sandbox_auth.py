"""The credentials each built-in connector uses against the sandbox (sandbox/README.md): the auth flows
the real systems offer, pointed at the sandbox's endpoints.

| system | credential type | against the sandbox |
| --- | --- | --- |
| Salesforce, Certinia | ``oauth2_client_credentials`` | ``/salesforce/services/oauth2/token`` |
| NetSuite | ``netsuite_client_credentials`` (M2M, JWT assertion) | token endpoint under the REST base |
| Business Central | ``entra_client_credentials`` | authority ``/dynamics``, tenant ``sandbox-tenant`` |
| Kantata | ``kantata_oauth`` (Connect), or ``bearer`` with a token in hand | ``/kantata/oauth/...`` |

Kantata has no grant without a person (no client credentials), so a Kantata connection made before the
sandbox runs is left to Connect; with a token in hand (tests obtain one) it is a pasted bearer token.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
SANDBOX_TENANT = "sandbox-tenant"
SANDBOX_CERTIFICATE_ID = "sandbox-certificate"


@functools.cache
def generated_private_key() -> str:
    """An RSA key for NetSuite's M2M assertion (one per process; its certificate is the sandbox's
    business: see sandbox/README.md)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)  # NetSuite: RSA 3072 or 4096
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def sandbox_credentials(
    system: str,
    sandbox_url: str,
    client: dict[str, str] | None = None,
    *,
    kantata_token: str | None = None,
    private_key: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """(credential type, credential values) of ``system`` on the sandbox at ``sandbox_url``."""
    base = sandbox_url.rstrip("/")
    client = dict(client or DEFAULT_CLIENT)
    if system in ("salesforce", "certinia"):
        return "oauth2_client_credentials", {
            "token_url": f"{base}/salesforce/services/oauth2/token",
            **client,
        }
    if system == "netsuite":
        return "netsuite_client_credentials", {
            "client_id": client["client_id"],
            "certificate_id": SANDBOX_CERTIFICATE_ID,
            "private_key": private_key or generated_private_key(),
            "algorithm": "PS256",
            "scope": "rest_webservices",
        }
    if system == "dynamics":
        return "entra_client_credentials", {
            "tenant_id": SANDBOX_TENANT,
            "authority": f"{base}/dynamics",
            **client,
        }
    if system == "kantata":
        if kantata_token:
            return "bearer", {"token": kantata_token}
        return "kantata_oauth", {
            **client,
            "authorize_url": f"{base}/kantata/oauth/authorize",
            "token_url": f"{base}/kantata/oauth/token",
        }
    raise ValueError(f"no sandbox credentials for {system!r}")
