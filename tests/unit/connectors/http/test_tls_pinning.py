"""HTTPS through a pinned address: SNI and certificate verification still use the host name."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.errors import TLSError
from connectors.http.client import SafeClient
from connectors.http.egress import EgressPolicy

NAME = "secure.example.test"


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.headers.get("Host", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _self_signed(tmp_path)
    sni_seen: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: sni_seen.append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield httpd.server_address[1], cert, sni_seen
    httpd.shutdown()
    httpd.server_close()


def _client(cert: str, host: str) -> SafeClient:
    policy = EgressPolicy(allow_hosts=[host], resolver=lambda h, p: ["127.0.0.1"])
    return SafeClient(policy=policy, verify=cert, retries=0, timeout=(2.0, 5.0))


def test_https_to_pinned_address_verifies_the_name(tls_server):
    port, cert, sni_seen = tls_server
    response = _client(cert, NAME).get(f"https://{NAME}:{port}/")
    assert response.status == 200
    assert response.text == f"{NAME}:{port}"  # Host header kept
    assert sni_seen == [NAME]  # SNI carries the name, not the pinned IP


def test_certificate_for_another_name_is_refused(tls_server):
    port, cert, _ = tls_server
    with pytest.raises(TLSError):
        _client(cert, "other.example.test").get(f"https://other.example.test:{port}/")
