"""How a connection reaches a sandbox tenant with the auth flow the real system offers (sandbox/README.md,
"Tenants" and "Auth"), and the two steps a person would do by hand, done for the demo and the tests:
registering a NetSuite certificate and clicking Allow on a consent page.

* Salesforce, Certinia: ``oauth2_client_credentials`` at ``/salesforce/services/oauth2/token`` (the token
  names the org).
* Kantata: ``kantata_oauth`` (Connect), or ``bearer`` with a token in hand (there is no grant without a
  person).
* NetSuite, under ``/netsuite/<ACCOUNT>``: ``netsuite_client_credentials`` (M2M) with a registered
  certificate, else ``netsuite_authorization_code`` (Connect).
* Business Central: ``entra_client_credentials``, authority ``/dynamics``, tenant
  ``<tenant>.onmicrosoft.com``.

All HTTP here goes through the safe client, allowed to reach loopback only.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.errors import ConnectorError
from connectors.http.client import SafeClient
from connectors.http.egress import EgressPolicy

DEFAULT_TENANT = "default"
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
LOOPBACK = EgressPolicy(allow_hosts=["127.0.0.1", "localhost"])


def sandbox_client(tenant: str = DEFAULT_TENANT) -> dict[str, str]:
    """A sandbox tenant's default OAuth client (the sandbox registers ``<tenant>-client`` for every
    system; the default tenant's is ``sandbox-client``)."""
    if tenant == DEFAULT_TENANT:
        return {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
    return {"client_id": f"{tenant}-client", "client_secret": f"{tenant}-secret"}


def netsuite_account(tenant: str = DEFAULT_TENANT) -> str:
    return "SANDBOX" if tenant == DEFAULT_TENANT else tenant.upper().replace("-", "_")


def entra_domain(tenant: str = DEFAULT_TENANT) -> str:
    return f"{'sandbox' if tenant == DEFAULT_TENANT else tenant}.onmicrosoft.com"


@dataclass(frozen=True)
class SandboxConnection:
    """What ``create_connection`` needs to reach one system of a sandbox tenant."""

    base_url: str
    credential_type: str
    credentials: dict[str, Any]


@dataclass(frozen=True)
class Certificate:
    """A NetSuite M2M certificate the sandbox accepted: its id (the JWT ``kid``) and private key."""

    certificate_id: str
    private_key: str


def sandbox_connection_spec(
    system: str,
    sandbox_url: str,
    *,
    tenant: str = DEFAULT_TENANT,
    client: dict[str, str] | None = None,
    kantata_token: str | None = None,
    netsuite_certificate: Certificate | None = None,
) -> SandboxConnection:
    """The base URL, credential type and values of ``system`` in ``tenant`` on the sandbox."""
    base = sandbox_url.rstrip("/")
    client = dict(client or sandbox_client(tenant))
    if system in ("salesforce", "certinia"):
        return SandboxConnection(
            f"{base}/salesforce",
            "oauth2_client_credentials",
            {"token_url": f"{base}/salesforce/services/oauth2/token", **client},
        )
    if system == "kantata":
        if kantata_token:
            return SandboxConnection(f"{base}/kantata", "bearer", {"token": kantata_token})
        return SandboxConnection(
            f"{base}/kantata",
            "kantata_oauth",
            {
                **client,
                "authorize_url": f"{base}/kantata/oauth/authorize",
                "token_url": f"{base}/kantata/oauth/token",
            },
        )
    if system == "netsuite":
        root = f"{base}/netsuite/{netsuite_account(tenant)}"
        if netsuite_certificate is not None:
            return SandboxConnection(
                root,
                "netsuite_client_credentials",
                {
                    "client_id": client["client_id"],
                    "certificate_id": netsuite_certificate.certificate_id,
                    "private_key": netsuite_certificate.private_key,
                    "algorithm": "ES256",
                    "scope": "rest_webservices",
                },
            )
        return SandboxConnection(root, "netsuite_authorization_code", {**client, "scope": "rest_webservices"})
    if system == "dynamics":
        domain = entra_domain(tenant)
        return SandboxConnection(
            f"{base}/dynamics/v2.0/{domain}/production",
            "entra_client_credentials",
            {"tenant_id": domain, "authority": f"{base}/dynamics", "scope": BC_SCOPE, **client},
        )
    raise ValueError(f"the sandbox has no system {system!r}")


def sandbox_credentials(
    system: str, sandbox_url: str, client: dict[str, str] | None = None, **kw: Any
) -> tuple[str, dict[str, Any]]:
    """(credential type, values) of ``system`` on the sandbox (see :func:`sandbox_connection_spec`)."""
    spec = sandbox_connection_spec(system, sandbox_url, client=client, **kw)
    return spec.credential_type, spec.credentials


# --- what a person does by hand ---------------------------------------------------------------------


@functools.cache
def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # NetSuite takes EC P-256 (or RSA 3072/4096)


def self_signed_certificate() -> tuple[str, str]:
    """(certificate PEM, private key PEM): what an admin creates with openssl for NetSuite M2M."""
    key = _ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Flowbuilder sandbox integration")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def register_netsuite_certificate(sandbox_url: str, client_id: str) -> Certificate:
    """Upload a certificate for ``client_id`` (the M2M mapping an admin makes in NetSuite); its id is
    the ``kid`` of the JWT assertion."""
    cert, key = self_signed_certificate()
    with SafeClient(policy=LOOPBACK, retries=1) as http:
        answer = http.post(
            f"{sandbox_url.rstrip('/')}/_admin/clients/netsuite/{client_id}/certificates",
            json={"certificate": cert},
        ).json()
    return Certificate(certificate_id=str(answer["certificate_id"]), private_key=key)


def sandbox_up(sandbox_url: str) -> bool:
    """Whether the sandbox answers at all (before starting anything that leaves rows behind)."""
    try:
        with SafeClient(policy=LOOPBACK, retries=0, timeout=2.0) as http:
            http.get(sandbox_url.rstrip("/") + "/", raise_for_status=False)
    except ConnectorError:
        return False
    return True


_FORM = re.compile(r"<form[^>]*action=['\"]([^'\"]*)['\"]", re.I)
_HIDDEN = re.compile(r"<input[^>]*name=['\"]([^'\"]+)['\"][^>]*value=['\"]([^'\"]*)['\"]", re.I)


def approve_consent(authorize_url: str) -> dict[str, str]:
    """Open the system's consent page and click Allow, as the signed-in admin of the tenant would;
    return the query of the redirect back (``code`` and ``state``, or ``error``)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    with SafeClient(policy=LOOPBACK, retries=1) as http:
        page = http.get(authorize_url, follow_redirects=False, raise_for_status=False)
        if page.status in (302, 303):
            return dict(parse_qsl(urlsplit(page.headers["Location"]).query))
        if page.status != 200:
            raise RuntimeError(f"the consent page answered HTTP {page.status}: {page.text[:200]}")
        action = _FORM.search(page.text)
        if action is None:
            raise RuntimeError("no consent form on the authorize page")
        form = {name: unescape(value) for name, value in _HIDDEN.findall(page.text)}
        decided = http.post(
            urljoin(authorize_url, unescape(action.group(1))),
            data={**form, "decision": "allow"},
            headers={"Origin": origin},
            follow_redirects=False,
            raise_for_status=False,
        )
    if decided.status not in (302, 303):
        raise RuntimeError(f"Allow answered HTTP {decided.status}: {decided.text[:200]}")
    return dict(parse_qsl(urlsplit(decided.headers["Location"]).query))
