"""One sandbox (emulated Salesforce + Certinia, Kantata, NetSuite, Business Central) per test session,
served over real HTTP on 127.0.0.1; tests create their own records so they do not depend on each other."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.base import ConnectionRuntime, Connector, open_connection
from connectors.http.egress import EgressPolicy
from flowbuilder.devtools.sandbox_auth import sandbox_credentials
from sandbox.config import SYSTEMS, SandboxConfig
from sandbox.runner import start_sandbox
from tests.support.sandbox_auth import kantata_token

POLICY = EgressPolicy(allow_hosts=["127.0.0.1"])
CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
TOKEN_PATHS = {
    "salesforce": "/salesforce/services/oauth2/token",
    "kantata": "/kantata/oauth/token",
    "netsuite": "/netsuite/services/rest/auth/oauth2/v1/token",
    "dynamics": "/dynamics/sandbox-tenant/oauth2/v2.0/token",
}


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 (loopback)
        req.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            raw = resp.read()
        return json.loads(raw) if raw else None

    def fault(self, system: str, **spec: Any) -> None:
        self.call("POST", "/_admin/faults", {"system": system, **spec})

    def clear_faults(self) -> None:
        self.call("DELETE", "/_admin/faults")

    def expire_tokens(self, system: str) -> None:
        self.call("POST", "/_admin/expire_tokens", {"system": system})

    def token_secrets(self, system: str) -> dict[str, str]:
        return {"token_url": self.url + TOKEN_PATHS[system], **CLIENT}

    def credentials(self, system: str) -> tuple[str, dict[str, Any]]:
        """The system's own auth flow against the sandbox (Kantata: a token from its code grant)."""
        token = kantata_token(self.url) if system == "kantata" else None
        return sandbox_credentials(system, self.url, CLIENT, kantata_token=token)

    def config(self, **changes: Any) -> dict[str, Any]:
        return self.call("POST", "/_admin/config", changes)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    # No background rate limit: tests inject 429s where they want them.
    config = SandboxConfig(rate_limits=dict.fromkeys(SYSTEMS, 0.0))
    url, stop = start_sandbox(0, tmp_path_factory.mktemp("sandbox"), reset=True, config=config)
    try:
        yield Sandbox(url)
    finally:
        stop()


@pytest.fixture(autouse=True)
def _no_faults(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.clear_faults()


Connect = Callable[..., ConnectionRuntime]


def make_connect(sandbox: Sandbox, connector: Connector, system: str, config: dict[str, Any]) -> Connect:
    opened: list[ConnectionRuntime] = []

    def connect(credential_type: str | None = None, **client_options: Any) -> ConnectionRuntime:
        client_options.setdefault("backoff_base", 0.01)
        default_type, secrets = sandbox.credentials(system)
        if credential_type not in (None, default_type):
            secrets = sandbox.token_secrets(system)
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


class RecordingSleep:
    """Stands in for time.sleep in the safe client: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
