"""A programmable HTTP endpoint on 127.0.0.1 that counts calls: the outside world in tests.

Registered for every suite from tests/conftest.py (fixture ``endpoint``)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Reply = tuple[int, dict[str, str], Any]


class Endpoint:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bodies: dict[str, list[Any]] = {}
        self.idempotency_keys: list[str] = []
        # time.monotonic() of each call's arrival and of its answer, per path (same clock as the test).
        self.started: dict[str, list[float]] = {}
        self.finished: dict[str, list[float]] = {}
        self.headers: dict[str, list[dict[str, str]]] = {}
        self._routes: dict[str, Callable[[int, Any], Reply]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode()
                path = self.path.split("?")[0]
                with endpoint._lock:
                    endpoint.calls[path] += 1
                    n = endpoint.calls[path]
                    endpoint.started.setdefault(path, []).append(arrived)
                    endpoint._changed.notify_all()
                    endpoint.bodies.setdefault(path, []).append(body)
                    endpoint.headers.setdefault(path, []).append(dict(self.headers.items()))
                    if self.headers.get("Idempotency-Key"):
                        endpoint.idempotency_keys.append(self.headers["Idempotency-Key"])
                route = endpoint._routes.get(path)
                status, headers, payload = route(n, body) if route else (200, {}, {"ok": True, "path": path})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:  # the caller went away (a killed worker): still count the answer
                    pass
                with endpoint._lock:
                    endpoint.finished.setdefault(path, []).append(time.monotonic())
                    endpoint._changed.notify_all()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def route(self, path: str, fn: Callable[[int, Any], Reply]) -> None:
        self._routes[path] = fn

    def slow(self, path: str, seconds: float, payload: Any = None) -> None:
        def reply(n: int, body: Any) -> Reply:
            time.sleep(seconds)
            return 200, {}, payload if payload is not None else {"slow": path, "call": n}

        self.route(path, reply)

    def sequence(self, path: str, replies: list[Reply]) -> None:
        """Answer the n-th call with ``replies[n - 1]`` (the last reply repeats)."""
        self.route(path, lambda n, body: replies[min(n, len(replies)) - 1])

    def wait_for_calls(self, path: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``path`` has been called ``count`` times (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.calls[path] < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    try:
        yield ep
    finally:
        ep.close()
