"""The demo allow-lists the sandbox's port, never every port of 127.0.0.1 (Redis, PostgreSQL, the web)."""

from __future__ import annotations

import pytest

from connectors.errors import EgressDenied
from flowbuilder.credentials.runtime import policy_from
from flowbuilder.devtools.demo import demo_egress_allowlist, sandbox_egress_entry


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("http://127.0.0.1:8100", "127.0.0.1:8100"),
        ("http://127.0.0.1:8100/", "127.0.0.1:8100"),
        ("http://localhost:9000/x", "localhost:9000"),
        ("https://sandbox.internal", "sandbox.internal:443"),
        ("http://[::1]:8100", "[::1]:8100"),
    ],
)
def test_sandbox_entry_carries_the_port(url, entry):
    assert sandbox_egress_entry(url) == entry


def test_earlier_demo_entries_are_replaced_and_others_kept():
    assert demo_egress_allowlist(["127.0.0.1", "erp.lan"], "http://127.0.0.1:8100") == [
        "erp.lan",
        "127.0.0.1:8100",
    ]
    assert demo_egress_allowlist(["127.0.0.1:8100"], "http://127.0.0.1:8100") == ["127.0.0.1:8100"]


def test_the_demo_policy_reaches_the_sandbox_and_nothing_else_on_the_machine():
    policy = policy_from(demo_egress_allowlist(["127.0.0.1", "localhost"], "http://127.0.0.1:8100"))
    assert policy.check_url("http://127.0.0.1:8100/salesforce/services/data").port == 8100
    for port in (6379, 5432, 8000, 80):
        with pytest.raises(EgressDenied):
            policy.check_url(f"http://127.0.0.1:{port}/")
