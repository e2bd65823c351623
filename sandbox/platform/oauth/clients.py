"""Registered OAuth clients (a Salesforce connected app, a NetSuite integration record, a Kantata
application, a Microsoft Entra app registration), each owned by one tenant of one system.

Every tenant has a default client per system (`<tenant>-client` / `<tenant>-secret`; the default tenant's
is the configured `sandbox-client` / `sandbox-secret`) so the demo can connect without registering
anything; tests and people register more through `POST /_admin/clients`. Secrets are stored in clear:
this is a loopback test double, and the admin pages show them on purpose.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from ..store import Store
from .errors import OAuthError

GRANTS = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "jwt_bearer",
    "client_assertion",
    "tba",
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The default clients accept any loopback redirect URI, so the product's Connect button works against the
# sandbox under `make run` without registering its callback first (registered clients match exactly).
ANY_LOOPBACK = ("http://127.0.0.1/*", "http://localhost/*")


@dataclass
class Certificate:
    id: str  # NetSuite: the certificate id the JWT names as `kid`
    pem: str
    key_type: str  # "RSA 3072", "EC secp256r1", ...
    not_after: str

    def public_key(self) -> Any:
        return x509.load_pem_x509_certificate(self.pem.encode()).public_key()


@dataclass
class Client:
    client_id: str
    system: str
    tenant: str
    name: str
    secret: str | None  # None: a public client (PKCE required)
    redirect_uris: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    run_as: str = ""  # Salesforce: the user behind client-credentials tokens; JWT `sub` must be a user
    refresh_token_hours: int | None = None  # NetSuite: the integration record's refresh token validity
    default: bool = False  # a tenant's default client (the legacy grants apply while switched on)
    created_at: str = ""

    @property
    def public(self) -> bool:
        return self.secret is None

    def to_dict(self, *, with_secret: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_secret:
            data.pop("secret")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Client:
        certs = [Certificate(**c) for c in data.get("certificates") or []]
        return cls(**{**data, "certificates": certs})

    def allows_redirect(self, uri: str) -> bool:
        """Exact match with a registered URI; for loopback hosts any port (RFC 8252 section 7.3); a
        registered URI ending in `/*` matches every path below it."""
        given = urlsplit(uri)
        if given.scheme not in ("http", "https") or not given.hostname or given.fragment:
            return False
        for registered in self.redirect_uris:
            if uri == registered:
                return True
            reg = urlsplit(registered.removesuffix("*"))
            loopback = reg.hostname in LOOPBACK_HOSTS
            same_host = given.scheme == reg.scheme and given.hostname == reg.hostname
            same_port = loopback or given.port == reg.port
            if not (same_host and same_port):
                continue
            if registered.endswith("/*") and given.path.startswith(reg.path):
                return True
            if loopback and given.path == reg.path and given.query == reg.query:
                return True
        return False


def describe_key(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    raise OAuthError("invalid_request", "the certificate's key must be RSA or EC")


def parse_certificate(pem: str) -> Certificate:
    """An uploaded X.509 certificate (PEM); its id is derived from its fingerprint."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise OAuthError(
            "invalid_request", "certificate must be an X.509 certificate in PEM format"
        ) from None
    fingerprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    return Certificate(
        id=fingerprint[:40],
        pem=pem.strip() + "\n",
        key_type=describe_key(cert),
        not_after=cert.not_valid_after_utc.isoformat(),
    )


class Clients:
    """The client registry over the store's clients table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, system: str, client_id: str) -> Client | None:
        data = self.store.load_client(system, client_id) if client_id else None
        return Client.from_dict(data) if data else None

    def list(self, system: str | None = None, tenant: str | None = None) -> list[Client]:
        return [Client.from_dict(d) for d in self.store.client_rows(system, tenant)]

    def save(self, client: Client) -> Client:
        if not client.created_at:
            client.created_at = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.store.save_client(client.system, client.client_id, client.tenant, client.to_dict())
        return client

    def delete(self, system: str, client_id: str) -> bool:
        return self.store.delete_client(system, client_id)


def new_secret() -> str:
    return secrets.token_hex(32)
