"""What every emulated system provides to the server: routing, its own error shapes and auth check."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .messages import BadJson, Request, Response

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
        self.store = sandbox.store
        self.router = Router()
        self.routes()

    # -- to override ------------------------------------------------------------------------------
    def routes(self) -> None:
        raise NotImplementedError

    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        raise NotImplementedError

    def concurrency_limit(self) -> int:
        """In-flight requests allowed before 429 CONCURRENCY_LIMIT_EXCEEDED; 0 = no limit."""
        return 0

    def is_public(self, req: Request) -> bool:
        """Token and authorize endpoints need no bearer token."""
        return False

    def unauthorized(self) -> Response:
        return self.error(401, "UNAUTHORIZED", "Invalid or expired access token")

    def rate_limited(self, retry_after: str) -> Response:
        resp = self.error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests; retry later")
        resp.headers["Retry-After"] = retry_after
        return resp

    def fault(self, status: int) -> Response:
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
