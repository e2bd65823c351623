"""SSRF matrix: with default settings every internal destination is refused and nothing is sent.

For each case the request must raise EgressDenied AND no byte may reach a listener: real listening
sockets on 127.0.0.1, 127.1.2.3 and ::1 must see no connection, and no socket.connect() may even be
attempted (recorded for the addresses we cannot listen on, like 10.0.0.1 or 169.254.169.254).
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.errors import EgressDenied
from connectors.http.client import SafeClient
from connectors.http.egress import EgressPolicy

_real_getaddrinfo = socket.getaddrinfo


def _listen(family: int, host: str) -> socket.socket | None:
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((host, 0))
        sock.listen(8)
        sock.setblocking(False)
        return sock
    except OSError:
        return None


class Listeners:
    def __init__(self) -> None:
        self.v4 = _listen(socket.AF_INET, "127.0.0.1")
        self.v4b = _listen(socket.AF_INET, "127.1.2.3")
        self.v6 = _listen(socket.AF_INET6, "::1")
        assert self.v4 is not None

    def port(self, which: str) -> int:
        sock = getattr(self, which)
        if sock is None:
            pytest.skip(f"cannot listen for {which} here")
        return sock.getsockname()[1]

    def assert_untouched(self) -> None:
        socks = [s for s in (self.v4, self.v4b, self.v6) if s is not None]
        readable, _, _ = select.select(socks, [], [], 0.05)  # a completed handshake shows as readable
        assert readable == [], f"a listener received a connection: {readable}"

    def close(self) -> None:
        for sock in (self.v4, self.v4b, self.v6):
            if sock is not None:
                sock.close()


@pytest.fixture
def listeners() -> Iterator[Listeners]:
    found = Listeners()
    yield found
    found.close()


@pytest.fixture
def connects(monkeypatch) -> list[object]:
    """Record every outgoing socket.connect (then let it proceed: a broken guard must really fail)."""
    seen: list[object] = []
    real_connect = socket.socket.connect

    def recording(self, address):
        seen.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return seen


@pytest.fixture
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Host name -> addresses, for names a test invents; everything else resolves for real."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(host, bytes):
            host = host.decode()
        if host in table:
            out = []
            for addr in table[host]:
                if ":" in addr:
                    out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (addr, port, 0, 0)))
                else:
                    out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port)))
            return out
        return _real_getaddrinfo(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


# (case id, URL template, listener whose port to aim at)
DIRECT_CASES = [
    ("loopback-127.0.0.1", "http://127.0.0.1:{port}/", "v4"),
    ("loopback-127.1.2.3", "http://127.1.2.3:{port}/", "v4b"),
    ("loopback-name-localhost", "http://localhost:{port}/", "v4"),
    ("loopback-ipv6", "http://[::1]:{port}/", "v6"),
    ("unspecified-0.0.0.0", "http://0.0.0.0:{port}/", "v4"),
    ("unspecified-0", "http://0:{port}/", "v4"),
    ("private-10/8", "http://10.0.0.1:{port}/", "v4"),
    ("private-10/8-high", "http://10.255.255.254:{port}/", "v4"),
    ("private-172.16/12", "http://172.16.0.1:{port}/", "v4"),
    ("private-172.31", "http://172.31.255.254:{port}/", "v4"),
    ("private-192.168/16", "http://192.168.1.1:{port}/", "v4"),
    ("cgnat-100.64/10", "http://100.64.0.1:{port}/", "v4"),
    ("cgnat-100.127", "http://100.127.255.254:{port}/", "v4"),
    ("metadata-169.254.169.254", "http://169.254.169.254/latest/meta-data/", "v4"),
    ("link-local-169.254", "http://169.254.1.1:{port}/", "v4"),
    ("multicast", "http://224.0.0.1:{port}/", "v4"),
    ("broadcast", "http://255.255.255.255:{port}/", "v4"),
    ("ula-fc00::/7", "http://[fc00::1]:{port}/", "v6"),
    ("ula-fd00", "http://[fd12:3456:789a::1]:{port}/", "v6"),
    ("link-local-fe80::/10", "http://[fe80::1]:{port}/", "v6"),
    ("link-local-fe80-zone", "http://[fe80::1%25lo]:{port}/", "v6"),
    ("ipv4-mapped-loopback", "http://[::ffff:127.0.0.1]:{port}/", "v4"),
    ("ipv4-mapped-hex", "http://[::ffff:7f00:1]:{port}/", "v4"),
    ("ipv4-mapped-metadata", "http://[::ffff:169.254.169.254]/", "v4"),
    ("nat64-loopback", "http://[64:ff9b::7f00:1]:{port}/", "v4"),
    ("nat64-private", "http://[64:ff9b::a00:1]:{port}/", "v4"),
    ("6to4-loopback", "http://[2002:7f00:1::1]:{port}/", "v4"),
    ("decimal-2130706433", "http://2130706433:{port}/", "v4"),
    ("octal-0177.0.0.1", "http://0177.0.0.1:{port}/", "v4"),
    ("hex-0x7f000001", "http://0x7f000001:{port}/", "v4"),
    ("hex-dotted-0x7f.1", "http://0x7f.1:{port}/", "v4"),
    ("short-127.1", "http://127.1:{port}/", "v4"),
    ("trailing-dot", "http://127.0.0.1.:{port}/", "v4"),
    ("https-loopback", "https://127.0.0.1:{port}/", "v4"),
]


@pytest.mark.parametrize(
    "url_template, listener", [c[1:] for c in DIRECT_CASES], ids=[c[0] for c in DIRECT_CASES]
)
def test_internal_destination_refused(url_template, listener, listeners, connects):
    url = url_template.format(port=listeners.port(listener))
    client = SafeClient()  # DEFAULT settings: no allow-list
    with pytest.raises(EgressDenied):
        client.get(url)
    assert connects == []
    listeners.assert_untouched()


@pytest.mark.parametrize(
    "addresses",
    [
        ["93.184.216.34", "127.0.0.1"],
        ["127.0.0.1", "93.184.216.34"],
        ["2606:4700::1111", "::1"],
        ["8.8.8.8", "10.1.2.3"],
    ],
    ids=["public-then-loopback", "loopback-then-public", "v6-public-then-loopback", "public-then-private"],
)
def test_name_with_any_internal_address_refused(addresses, listeners, connects, fake_dns):
    fake_dns["mixed.example.test"] = addresses
    with pytest.raises(EgressDenied):
        SafeClient().get(f"http://mixed.example.test:{listeners.port('v4')}/")
    assert connects == []
    listeners.assert_untouched()


def test_name_resolving_to_metadata_refused(listeners, connects, fake_dns):
    fake_dns["metadata.example.test"] = ["169.254.169.254"]
    with pytest.raises(EgressDenied):
        SafeClient().get("http://metadata.example.test/latest/meta-data/iam/")
    assert connects == []


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", type(self).target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def redirector() -> Iterator[tuple[type[_Redirector], int]]:
    handler = type("Redirector", (_Redirector,), {"target": ""})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield handler, httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


REDIRECT_TARGETS = [
    ("loopback", "http://127.0.0.1:{v4}/admin", "v4"),
    ("loopback-ipv6", "http://[::1]:{v6}/", "v6"),
    ("localhost", "http://localhost:{v4}/", "v4"),
    ("decimal", "http://2130706433:{v4}/", "v4"),
    ("metadata", "http://169.254.169.254/latest/meta-data/", "v4"),
    ("private-name", "http://internal.example.test:{v4}/", "v4"),
    ("mapped", "http://[::ffff:127.0.0.1]:{v4}/", "v4"),
    ("file-scheme", "file:///etc/passwd", "v4"),
]


@pytest.mark.parametrize(
    "target, listener", [c[1:] for c in REDIRECT_TARGETS], ids=[c[0] for c in REDIRECT_TARGETS]
)
def test_redirect_from_allowed_server_to_internal_refused(
    target, listener, redirector, listeners, connects, fake_dns
):
    handler, port = redirector
    fake_dns["allowed.example.test"] = ["127.0.0.1"]
    fake_dns["internal.example.test"] = ["10.0.0.5"]
    ports = {"v4": listeners.port("v4"), "v6": listeners.port(listener) if listener == "v6" else 0}
    handler.target = target.format(**ports)
    # Only the redirecting server's name is allow-listed; everything else keeps the defaults.
    client = SafeClient(policy=EgressPolicy(allow_hosts=["allowed.example.test"]), retries=0)
    with pytest.raises(EgressDenied):
        client.get(f"http://allowed.example.test:{port}/start")
    assert connects == [("127.0.0.1", port)]  # the allowed first hop only
    listeners.assert_untouched()


# Allow-list entries with a port open that port only: the demo allows the sandbox's port on 127.0.0.1,
# and nothing else on the machine (Redis, PostgreSQL, the web server) may be reached through it.
PORTED_CASES = [
    ("other-port-same-host", ["127.0.0.1:{other}"], "http://127.0.0.1:{port}/"),
    ("other-port-name", ["localhost:{other}"], "http://localhost:{port}/"),
    ("other-port-network", ["127.0.0.0/8:{other}"], "http://127.0.0.1:{port}/"),
    ("other-port-ipv6", ["[::1]:{other}"], "http://[::1]:{port6}/"),
    ("host-entry-does-not-open-its-addresses-by-ip", ["localhost:{port}"], "http://127.0.0.1:{port}/"),
    ("default-port-not-implied", ["127.0.0.1:{other}"], "http://127.0.0.1/"),
    ("redis-under-demo-allowlist", ["127.0.0.1:{other}"], "http://127.0.0.1:6379/"),
    ("postgres-under-demo-allowlist", ["127.0.0.1:{other}"], "http://127.0.0.1:5432/"),
    ("metadata-not-opened-by-ported-loopback", ["127.0.0.1:80"], "http://169.254.169.254/latest/meta-data/"),
]


@pytest.mark.parametrize(
    "entries, url_template", [c[1:] for c in PORTED_CASES], ids=[c[0] for c in PORTED_CASES]
)
def test_ported_allow_list_entry_opens_only_its_port(entries, url_template, listeners, connects):
    port = listeners.port("v4")
    values = {"port": port, "other": port + 1 if port < 65535 else port - 1}
    if "{port6}" in url_template:
        values["port6"] = listeners.port("v6")
        values["other"] = values["port6"] + 1
    policy = EgressPolicy.from_entries([e.format(**values) for e in entries])
    with pytest.raises(EgressDenied):
        SafeClient(policy=policy, retries=0).get(url_template.format(**values))
    assert connects == []
    listeners.assert_untouched()


def test_ported_allow_list_entry_reaches_its_own_port(listeners):
    """Control for the cases above: the same entry with the listener's port lets the request through."""
    port = listeners.port("v4")
    client = SafeClient(policy=EgressPolicy.from_entries([f"127.0.0.1:{port}"]), retries=0, timeout=0.5)
    with pytest.raises(
        Exception
    ) as raised:  # the listener accepts but never answers: a timeout, not a refusal
        client.get(f"http://127.0.0.1:{port}/")
    assert not isinstance(raised.value, EgressDenied)
