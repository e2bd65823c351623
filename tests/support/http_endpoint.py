"""A programmable HTTP endpoint on 127.0.0.1 that counts calls: the outside world in tests."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], Any]


class Endpoint:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bodies: dict[str, list[Any]] = {}
        self.idempotency_keys: list[str] = []
        self._routes: dict[str, Callable[[int, Any], Reply]] = {}
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
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
                    endpoint.bodies.setdefault(path, []).append(body)
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
                self.wfile.write(data)

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

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
