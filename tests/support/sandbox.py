"""The sandbox (emulated Salesforce + Certinia, Kantata, NetSuite, Business Central) for tests: one helper
class, one way to start a server, and the session-wide server most suites share.

Registered for every suite from tests/conftest.py. Suites that need another lifetime keep a thin fixture
over ``running_sandbox`` in their conftest: the sandbox's own tests and the integration suite start a fresh
server per test module. Tests create their own records, so they do not depend on each other.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.base import ConnectionRuntime, Connector, open_connection
from connectors.http.egress import EgressPolicy
from sandbox.config import SYSTEMS, SandboxConfig
from sandbox.runner import start_sandbox

CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
TOKEN_PATHS = {
    "salesforce": "/salesforce/services/oauth2/token",
    "kantata": "/kantata/oauth/token",
    "netsuite": "/netsuite/services/rest/auth/oauth2/v1/token",
    "dynamics": "/dynamics/sandbox-tenant/oauth2/v2.0/token",
}
# The end of the seeded history for tests that pin dates (the sandbox's own tests); None means today.
SEED_ANCHOR = "2026-11-01"
# Connector runtimes may reach the sandbox on loopback and nothing else.
POLICY = EgressPolicy(allow_hosts=["127.0.0.1"])


def unlimited_config(**changes: Any) -> SandboxConfig:
    """No background rate limit: tests fire requests back to back and inject 429s where they want them."""
    return SandboxConfig(rate_limits=dict.fromkeys(SYSTEMS, 0.0), **changes)


class Sandbox:
    """A running sandbox server (real HTTP on 127.0.0.1) and its admin API."""

    def __init__(self, url: str, http: requests.Session | None = None) -> None:
        self.url = url
        self.http = http if http is not None else requests.Session()

    # --- the admin API (/_admin/*)
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Send JSON to ``path`` (e.g. ``/_admin/faults``) and return the decoded answer (None if empty)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 (loopback)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
        return json.loads(raw) if raw else None

    def admin_request(self, method: str, action: str, **kwargs: Any) -> requests.Response:
        """``/_admin/<action>`` through requests, for tests of the admin API itself (status codes too)."""
        return self.http.request(method, f"{self.url}/_admin/{action}", timeout=10, **kwargs)

    def fault(self, system: str, **spec: Any) -> None:
        self.admin("POST", "/_admin/faults", {"system": system, **spec})

    def clear_faults(self) -> None:
        self.admin("DELETE", "/_admin/faults")

    def expire_tokens(self, system: str) -> None:
        self.admin("POST", "/_admin/expire_tokens", {"system": system})

    def config(self, **changes: Any) -> dict[str, Any]:
        return self.admin("POST", "/_admin/config", changes)

    def reset(self) -> None:
        """Leave no fault, webhook or changed limit behind for the next test."""
        self.clear_faults()
        self.admin("DELETE", "/_admin/webhooks")
        self.config(rate_limits=0, netsuite_concurrency=5, dynamics_page_size=100, token_ttl=3600)

    def requests_by_object(self, methods: tuple[str, ...] = ("POST", "PUT", "PATCH")) -> dict[str, int]:
        """Requests with these methods per ``"<system> <METHOD> <object>"``, from /_admin/stats."""
        stats = self.admin("GET", "/_admin/stats")["systems"]
        prefixes = tuple(f"{m} " for m in methods)
        return {
            f"{system} {key}": count
            for system, data in stats.items()
            for key, count in (data.get("by_object") or {}).items()
            if key.startswith(prefixes)
        }

    # --- credentials
    def credentials(self, system: str) -> tuple[str, dict[str, Any]]:
        """(credential type, values) of the system's own auth flow on this sandbox (Kantata: a token from
        its authorization code grant, pasted as a bearer token; NetSuite: M2M with a certificate registered
        for the client)."""
        from flowbuilder.devtools.sandbox_auth import sandbox_credentials
        from tests.support.sandbox_auth import kantata_token, netsuite_certificate

        token = kantata_token(self.url, CLIENT) if system == "kantata" else None
        certificate = netsuite_certificate(self.url, CLIENT["client_id"]) if system == "netsuite" else None
        return sandbox_credentials(
            system, self.url, CLIENT, kantata_token=token, netsuite_certificate=certificate
        )

    def token_secrets(self, system: str) -> dict[str, str]:
        """The secrets of an ``oauth2_client_credentials`` connection to ``system``."""
        return {"token_url": self.url + TOKEN_PATHS[system], **CLIENT}

    def token(self, system: str) -> str:
        resp = self.http.post(
            self.url + TOKEN_PATHS[system], data={"grant_type": "client_credentials", **CLIENT}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def auth(self, system: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(system)}"}

    def close(self) -> None:
        self.http.close()


@contextlib.contextmanager
def running_sandbox(data_dir: Path, **config: Any) -> Iterator[Sandbox]:
    """A fresh sandbox server on a free port, seeded into ``data_dir``, without rate limits; stopped on exit.

    ``config`` changes the defaults of ``unlimited_config`` (e.g. ``seed_anchor``)."""
    url, stop = start_sandbox(0, data_dir, reset=True, config=unlimited_config(**config))
    box = Sandbox(url)
    try:
        yield box
    finally:
        box.close()
        stop()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the whole session (connector and trigger tests)."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


Connect = Callable[..., ConnectionRuntime]


def make_connect(sandbox: Sandbox, connector: Connector, system: str, config: dict[str, Any]) -> Connect:
    """``connect(**client_options)`` opens a connector runtime to ``system`` on the sandbox with the
    system's own auth flow (``Sandbox.credentials``); the runtimes it opened are in ``connect.opened``."""
    opened: list[ConnectionRuntime] = []

    def connect(credential_type: str | None = None, **client_options: Any) -> ConnectionRuntime:
        client_options.setdefault("backoff_base", 0.01)
        default_type, secrets = sandbox.credentials(system)
        if credential_type not in (None, default_type):
            secrets = sandbox.token_secrets(system)  # e.g. Salesforce's other OAuth types
        runtime = open_connection(
            connector,
            connection_id=f"test-{system}-{len(opened)}",
            config=config,
            credential_type=credential_type or default_type,
            secrets=secrets,
            policy=POLICY,
            **client_options,
        )
        opened.append(runtime)
        return runtime

    connect.opened = opened  # type: ignore[attr-defined]
    return connect
