from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.http.client import SafeClient
from connectors.http.egress import EgressPolicy

from .server import ScriptedServer

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


class FakeSleep:
    """Records requested sleeps instead of sleeping, and advances a fake clock accordingly."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client_factory(fake_sleep: FakeSleep):
    made: list[SafeClient] = []

    def make(**kwargs) -> SafeClient:
        kwargs.setdefault("policy", LOCAL)
        kwargs.setdefault("sleep", fake_sleep)
        kwargs.setdefault("timeout", (2.0, 5.0))
        client = SafeClient(**kwargs)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()
