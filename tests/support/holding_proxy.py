"""A proxy between a worker and the sandbox that lets one request through and holds its answer.

The request that matches ``hold`` is forwarded (the sandbox does the work) and its answer is held until
:meth:`HoldingProxy.release`; ``held`` is set at that moment. A test SIGKILLs the worker then: the remote
record exists, and the worker never heard of it. ``hold`` is ``(method, path regex)`` (the first match is
held) or a callable ``(method, path) -> bool`` asked once per request.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Hold = tuple[str, str] | Callable[[str, str], bool]


def nth_write(n: int, reads: str = "") -> Callable[[str, str], bool]:
    """A ``hold`` that matches the n-th (1-based) side effect: a request that is not a GET and whose path
    does not match ``reads`` (a regex for the POSTs that only read, e.g. a token or a query endpoint)."""
    count = 0
    lock = threading.Lock()

    def match(method: str, path: str) -> bool:
        nonlocal count
        if method == "GET" or (reads and re.fullmatch(reads, path)):
            return False
        with lock:
            count += 1
            return count == n

    return match


class HoldingProxy:
    """Forwards every request to ``target``; the first that ``hold`` matches is forwarded, then its answer
    is held until :meth:`release`. ``seen`` lists (method, path, status) of every request."""

    def __init__(self, target: str, hold: Hold) -> None:
        self.held = threading.Event()
        self.released = threading.Event()
        self.seen: list[tuple[str, str, int]] = []
        self.held_request: tuple[str, str] | None = None
        self._holding = True
        self._lock = threading.Lock()
        upstream = urlsplit(target)
        proxy = self
        matches = hold if callable(hold) else lambda m, p: m == hold[0] and re.fullmatch(hold[1], p)

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path.split("?")[0]
                with proxy._lock:
                    hold_this = proxy._holding and bool(matches(self.command, path))
                    if hold_this:
                        proxy._holding = False
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
                # Host passes through, as a load balancer's would: the M2M assertion's audience is our URL
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                conn.close()
                proxy.seen.append((self.command, path, answer.status))
                if hold_this:
                    proxy.held_request = (self.command, path)
                    proxy.held.set()  # the system has done it; its caller has not heard yet
                    proxy.released.wait(60)
                try:
                    self.send_response(answer.status)
                    for key, value in answer.getheaders():
                        if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the worker is gone

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
