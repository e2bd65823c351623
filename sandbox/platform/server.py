"""The sandbox application (routing, tenants, auth, faults, limits) and its threaded stdlib HTTP server.

It knows no system by name: sandbox/app.py hands it the System classes, their AuthProfiles, their page
actions and the seeder.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import SandboxConfig
from . import admin, pages, tenancy
from .actions import PageAction
from .faults import Faults
from .messages import Request, Response, json_response
from .oauth.profile import AuthProfile
from .oauth.server import AuthServer
from .ratelimit import ConcurrencyGate, RateLimiter
from .stats import Stats
from .store import DEFAULT_TENANT, Store
from .system import System
from .tenancy import Tenants
from .webhooks import Webhooks

log = logging.getLogger("sandbox")

MAX_BODY = 20 * 1024 * 1024
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,255}$")


class Seeder(Protocol):
    def __call__(self, store: Store, *, seed: int, anchor: str | None) -> dict[str, dict[str, int]]: ...


class Sandbox:
    """Everything but the socket: one instance per process, shared by all handler threads."""

    def __init__(
        self,
        data_dir: str | Path,
        config: SandboxConfig | None = None,
        *,
        systems: Sequence[type[System]],
        auth: Mapping[str, type[AuthProfile]],
        seeder: Seeder,
        actions: Mapping[str, Sequence[PageAction]] | None = None,
        reset: bool = False,
    ):
        self.config = config or SandboxConfig()
        self.store = Store(data_dir)
        self.seeder = seeder
        self.tenants = Tenants(self.store, self.config.seed, self._seed_tenant)
        self.faults = Faults()
        self.rates = RateLimiter()
        self.gate = ConcurrencyGate()
        self.stats = Stats()
        self.webhooks = Webhooks(self.store, self.config.webhook_timeout)
        self.stop_event = threading.Event()
        instances = [system_class(self) for system_class in systems]
        self.systems: dict[str, System] = {system.name: system for system in instances}
        self.auth_profiles: dict[str, AuthProfile] = {name: auth[name](self) for name in self.systems}
        self.actions: dict[str, tuple[PageAction, ...]] = {
            name: tuple((actions or {}).get(name, ())) for name in self.systems
        }
        self.oauth = AuthServer(self)
        self.tenants.add(DEFAULT_TENANT)
        for spec in self.config.tenants:
            name, _, title = spec.partition(":")
            self.tenants.add(name.strip(), title.strip() or None)
        for tenant in self.tenants.all():
            self.oauth.ensure_default_clients(tenant)
        if reset or not self.tenants.is_seeded(DEFAULT_TENANT):
            self.reseed()

    def _seed_tenant(self, store: Store, seed: int) -> dict[str, dict[str, int]]:
        return self.seeder(store, seed=seed, anchor=self.config.seed_anchor)

    def add_tenant(self, name: str, title: str | None = None) -> tenancy.Tenant:
        tenant = self.tenants.add(name, title)
        self.oauth.ensure_default_clients(tenant)
        return tenant

    def reseed(self) -> dict[str, dict[str, int]]:
        """Regenerate the default tenant's deterministic data; other tenants are seeded again on next use."""
        for tenant in self.tenants.all():
            if not tenant.is_default:
                self.tenants.forget_records(tenant.name)
        counts = self.tenants.reseed(DEFAULT_TENANT)
        for system in self.systems.values():
            system.reset()
        return counts

    def close(self) -> None:
        self.stop_event.set()
        self.webhooks.stop()
        self.store.close()

    def handle(self, req: Request) -> Response:
        if req.path in ("/", ""):
            return pages.index(self, req)
        if req.path.startswith("/_admin/"):
            return admin.handle(self, req)
        if req.path.startswith("/_sandbox/"):
            return pages.handle(self, req)
        name, _, rest = req.path[1:].partition("/")
        system = self.systems.get(name)
        if system is None:
            return json_response(404, {"error": "unknown system", "systems": sorted(self.systems)})
        req.sub_path, req.root = "/" + rest, "/" + name
        if req.sub_path == "/_browse":
            return pages.browse(self, system, req)
        profile = self.auth_profiles[name]
        located = profile.locate(req)
        if located is not None:
            self.stats.record(name, req.method, req.sub_path, "", located.status)
            return located
        resp = self._serve(system, profile, req)
        self.stats.record(name, req.method, req.sub_path, req.object_label, resp.status, req.tenant)
        return resp

    def _serve(self, system: System, profile: AuthProfile, req: Request) -> Response:
        hint = self.oauth.tenant_hint(profile, req) or DEFAULT_TENANT
        key = f"{system.name}/{hint}"  # limits are per org/account, as the real ones are
        with self.gate.slot(key, system.concurrency_limit()) as granted:
            if not granted:
                return system.error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded.")
            for fault in self.faults.take(system.name, hint, req.sub_path, req.method):
                if fault.kind == "latency":
                    self.stop_event.wait(fault.latency_ms / 1000)
                elif fault.kind == "timeout":
                    self.stop_event.wait(fault.latency_ms / 1000)
                    return Response(0, drop_connection=True)
                elif fault.kind == "status":
                    resp = system.fault(fault.status)
                    if fault.retry_after is not None and fault.status in (429, 503):
                        resp.headers["Retry-After"] = str(fault.retry_after)
                    return resp
                elif fault.kind == "expire_tokens":
                    self.oauth.tokens.expire_all(system.name, None if fault.tenant is None else hint)
            wait = self.rates.check(key, float(self.config.rate_limits.get(system.name, 0)))
            if wait is not None:
                return system.rate_limited(RateLimiter.retry_after_header(wait))
            if profile.token_path and re.fullmatch(profile.token_path, req.sub_path):
                return self.oauth.token_endpoint(profile, req)
            if profile.authorize_path and re.fullmatch(profile.authorize_path, req.sub_path):
                return self.oauth.authorize_endpoint(profile, req)
            principal = self.oauth.authenticate(profile, req)
            if principal is None or (req.tenant and principal.tenant != req.tenant):
                return system.unauthorized()
            req.tenant, req.principal, req.token_subject = principal.tenant, principal, principal.subject
            self.tenants.ensure_seeded(req.tenant)
            with tenancy.bound(req.tenant):
                try:
                    return system.handle(req)
                except Exception:  # a sandbox bug must look like a server error, not kill the thread
                    log.exception("sandbox error on %s %s", req.method, req.path)
                    return system.error(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlowbuilderSandbox/1.0"
    server: SandboxHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self._write(json_response(413, {"error": "request body too large or malformed"}))
            self.close_connection = True
            return
        split = urlsplit(self.path)
        host = self.headers.get("Host", "")
        if not _HOST_RE.match(host):
            host = "{}:{}".format(*self.server.server_address[:2])
        req = Request(
            method=self.command,
            path=unquote(split.path),
            raw_path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        try:
            resp = self.server.sandbox.handle(req)
        except Exception:
            log.exception("unhandled sandbox error")
            resp = json_response(500, {"error": "internal sandbox error"})
        if resp.drop_connection:
            self.close_connection = True
            return
        self._write(resp)

    def _write(self, resp: Response) -> None:
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s - %s", self.address_string(), format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, _Handler)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8100) -> SandboxHTTPServer:
    return SandboxHTTPServer((host, port), sandbox)
