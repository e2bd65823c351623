"""The safe client's test rig: clients on the loopback policy whose sleeps are recorded, not slept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.http.client import SafeClient
from tests.support.fake_clock import FakeSleep
from tests.support.scripted_server import LOCAL


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client_factory(fake_sleep: FakeSleep) -> Iterator:
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
