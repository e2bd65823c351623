"""A real sandbox server on 127.0.0.1 (port 0) per test module, driven over HTTP with requests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from sandbox.config import SYSTEMS, SandboxConfig
from sandbox.runner import start_sandbox

CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
TOKEN_PATHS = {
    "salesforce": "/salesforce/services/oauth2/token",
    "kantata": "/kantata/oauth/token",
    "netsuite": "/netsuite/services/rest/auth/oauth2/v1/token",
    "dynamics": "/dynamics/oauth2/v2.0/token",
}


@dataclass
class Sandbox:
    url: str
    http: requests.Session

    def token(self, system: str) -> str:
        resp = self.http.post(
            self.url + TOKEN_PATHS[system], data={"grant_type": "client_credentials", **CLIENT}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def auth(self, system: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(system)}"}

    def admin(self, method: str, action: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.url}/_admin/{action}", timeout=10, **kwargs)


def unlimited_config() -> SandboxConfig:
    # Tests fire requests back to back; the rate-limit test switches the limit on explicitly.
    return SandboxConfig(rate_limits=dict.fromkeys(SYSTEMS, 0.0), seed_anchor="2026-11-01")


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_sandbox(0, tmp_path_factory.mktemp("sandbox"), config=unlimited_config())
    yield url
    stop()


@pytest.fixture
def sandbox(sandbox_server: str) -> Iterator[Sandbox]:
    with requests.Session() as http:
        box = Sandbox(sandbox_server, http)
        yield box
        # Leave no fault, limit or hook behind for the next test in the module.
        box.admin("DELETE", "faults")
        box.admin("DELETE", "webhooks")
        box.admin(
            "POST",
            "config",
            json={"rate_limits": 0, "netsuite_concurrency": 5, "dynamics_page_size": 100, "token_ttl": 3600},
        )
