"""What every emulated system provides to the server: routing and its own error shapes. (How it
authenticates is its AuthProfile, in the system's auth.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import tenancy
from .messages import BadJson, Request, Response
from .store import Store

if TYPE_CHECKING:
    from .server import Sandbox

Handler = Callable[..., Response]


class Router:
    """Regex routes over the path below the system prefix; named groups become keyword arguments."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def dispatch(self, req: Request) -> Response | None | str:
        """Response, None (no path matched) or "method" (path matched but not the method)."""
        path_matched = False
        for method, pattern, handler in self._routes:
            m = pattern.match(req.sub_path)
            if not m:
                continue
            path_matched = True
            if method == req.method:
                return handler(req, **m.groupdict())
        return "method" if path_matched else None


class System:
    name = ""
    title = ""
    browse_objects: tuple[str, ...] = ()

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.router = Router()
        self.routes()

    @property
    def store(self) -> Store:
        """The store as the tenant of the request being served sees it (tenancy.bound by the server)."""
        return self.sandbox.store.for_tenant(tenancy.current())

    # -- to override ------------------------------------------------------------------------------
    def routes(self) -> None:
        raise NotImplementedError

    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        raise NotImplementedError

    def concurrency_limit(self) -> int:
        """In-flight requests allowed before 429 CONCURRENCY_LIMIT_EXCEEDED; 0 = no limit."""
        return 0

    def unauthorized(self) -> Response:
        return self.error(401, "UNAUTHORIZED", "Invalid or expired access token")

    def rate_limited(self, retry_after: str) -> Response:
        resp = self.error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests; retry later")
        resp.headers["Retry-After"] = retry_after
        return resp

    def fault(self, status: int) -> Response:
        if status == 429:  # the system's own rate-limit answer (Retry-After set by the caller)
            return self.rate_limited("1")
        resp = self.error(status, "SERVER_ERROR", f"Injected fault: HTTP {status}")
        if status in (429, 503):
            resp.headers["Retry-After"] = "1"
        return resp

    def reset(self) -> None:
        """Forget in-memory state derived from records (query cursors) after a reseed."""

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(record.get("id") or record.get("Id") or "")

    # -- shared -----------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            result = self.router.dispatch(req)
        except BadJson as exc:
            return self.error(400, "JSON_PARSER_ERROR", f"Malformed JSON body: {exc}")
        if result is None:
            return self.error(404, "NOT_FOUND", f"The requested resource does not exist: {req.sub_path}")
        if result == "method":
            return self.error(405, "METHOD_NOT_ALLOWED", f"HTTP method '{req.method}' not allowed")
        assert isinstance(result, Response)
        return result

    def emit(self, obj: str, event: str, record: dict[str, Any]) -> None:
        self.sandbox.webhooks.emit(self.name, obj, event, record)

    def api_usage(self) -> int:
        """Requests this tenant made to this system since the stats were last reset (Salesforce limits)."""
        tenants = self.sandbox.stats.snapshot()["tenants"]
        return int(tenants.get(tenancy.current(), {}).get(self.name, {}).get("total", 0))

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The system's own API, called from inside (page actions): same validation and side effects as
        a client's request, for the tenant bound now, without auth, faults or limits."""
        sub_path, _, query = path.partition("?")
        req = Request(
            method=method,
            path=f"/{self.name}{sub_path}",
            query=parse_qs(query, keep_blank_values=True),
            headers={"content-type": "application/json"},
            body=json.dumps(body).encode() if body is not None else b"",
            base_url="http://127.0.0.1",
            sub_path=sub_path,
            root=f"/{self.name}",
            tenant=tenancy.current(),
        )
        resp = self.handle(req)
        try:
            payload = json.loads(resp.body) if resp.body else None
        except ValueError:
            payload = resp.body.decode("utf-8", "replace")
        return resp.status, payload
