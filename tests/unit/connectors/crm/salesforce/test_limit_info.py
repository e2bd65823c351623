"""Sforce-Limit-Info parsing against the header values the REST API Developer Guide shows."""

from __future__ import annotations

import pytest

from connectors.crm.salesforce.limit_info import api_usage, parse_limit_info


@pytest.mark.parametrize(
    ("header", "usage"),
    [
        ("api-usage=18/5000", (18, 5000)),
        ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", (25, 5000)),
        ("api-usage=110018/100000; api-bursts=1/750", (110018, 100000)),  # above the limit: bursts
        ("api-usage=10018/100000", (10018, 100000)),
        ("per-app-api-usage=17/250(appName=x), api-usage=3/15000", (3, 15000)),
        ("", None),
        (None, None),
        ("api-usage=n/a", None),
    ],
)
def test_documented_headers(header, usage):
    assert api_usage(header) == usage


def test_every_entry_is_kept():
    parsed = parse_limit_info("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)")
    assert parsed == {"api-usage": (25, 5000), "per-app-api-usage": (17, 250)}


def test_the_sandbox_header_parses(sandbox):
    import requests

    token = sandbox.token("salesforce")
    resp = requests.get(
        sandbox.url + "/salesforce/services/data/v60.0/limits",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    used, limit = api_usage(resp.headers["Sforce-Limit-Info"])
    assert limit == resp.json()["DailyApiRequests"]["Max"] and 0 <= used <= limit
