"""What the auth tests share: key pairs with self-signed certificates, PKCE pairs, client registration and
the consent round trip a browser would make (GET the consent page, POST Allow from it)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

CALLBACK = "http://127.0.0.1:8000/oauth/callback"


def key_and_certificate(kind: str = "rsa", bits: int = 2048) -> tuple[Any, str]:
    """A private key and a self-signed X.509 certificate (PEM) for it."""
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flowbuilder-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def register(sandbox: Any, **spec: Any) -> dict[str, Any]:
    resp = sandbox.admin_request("POST", "clients", json=spec)
    assert resp.status_code == 201, resp.text
    return resp.json()


def consent(
    sandbox: Any, authorize_url: str, params: dict[str, str], decision: str = "allow"
) -> dict[str, str]:
    """Open the consent page and answer it; returns the query of the redirect back to the client."""
    page = sandbox.http.get(authorize_url, params=params, allow_redirects=False)
    assert page.status_code == 200, page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    request_id = re.search(r"name='request_id' value='([^']+)'", page.text).group(1)
    answer = sandbox.http.post(
        authorize_url,
        data={"request_id": request_id, "decision": decision},
        headers={"Origin": sandbox.url},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(params["redirect_uri"]), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def basic(client_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
