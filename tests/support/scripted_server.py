"""A scripted HTTP server on 127.0.0.1 for client tests (real sockets, a thread, no mocks).

Registered for every suite from tests/conftest.py (fixtures ``server`` and ``other_server``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.http.egress import EgressPolicy


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class ScriptedServer:
    """Routes map a path (without query) to a function of the request returning (status, headers, body)."""

    routes: dict[str, Any] = field(default_factory=dict)
    # path -> function(handler) that writes the whole response itself (chunked, slow, ...)
    raw_routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                raw = server.raw_routes.get(self.path.split("?")[0])
                if raw is not None:
                    server.seen.append(Seen(self.command, self.path, dict(self.headers.items()), b""))
                    raw(self)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
                server.seen.append(seen)
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    reply: Reply = (404, {"Content-Type": "text/plain"}, b"no route")
                else:
                    reply = route(seen) if callable(route) else route
                status, headers, payload = reply
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def json_reply(status: int, payload: bytes, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, payload


# The egress policy that lets a client reach the scripted server (and nothing else).
LOCAL = EgressPolicy(allow_networks=["127.0.0.1/32"])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    """A second origin (different port): a "foreign host" for credential tests."""
    srv = ScriptedServer().start()
    yield srv
    srv.stop()
