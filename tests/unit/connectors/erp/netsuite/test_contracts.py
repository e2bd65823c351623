"""The NetSuite connector against its contract fixtures: for every action and trigger, the request it sends is
the documented one (method, path, query, the headers that matter, body) and it reads the documented answers
and error bodies into the right results and errors. A scripted server on 127.0.0.1 plays the answers back."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from connectors.base import BEARER, open_connection
from connectors.erp.netsuite.client import SUITEQL_PATH
from connectors.erp.netsuite.connector import NetSuiteConnector
from tests.support.scripted_server import LOCAL, ScriptedServer, Seen

from .contract_support import fill, fixture_id, load, mismatches, sample

CONTEXT = {
    "customer": "1001",
    "other_customer": "1003",
    "invoice": "20001",
    "creditmemo": "20900",
    "customer_eid": "SF-0001",
    "throwaway": "1002",
    "uid": "c0ffee",
}
CURRENCY_QUERY = "SELECT id, symbol, name FROM currency ORDER BY id"
CURRENCIES = {
    "links": [],
    "count": 2,
    "hasMore": False,
    "items": [
        {"links": [], "id": "1", "symbol": "USD", "name": "USA"},
        {"links": [], "id": "2", "symbol": "GBP", "name": "British pound"},
    ],
    "offset": 0,
    "totalResults": 2,
}
FIXTURES = [f for f in load() if f.get("connector")]


class BearerNetSuite(NetSuiteConnector):
    """NetSuite with a pasted bearer token: request shapes are tested here, not the token grants (auth.py)."""

    credential_types = (*NetSuiteConnector.credential_types, BEARER)


def _reply(response: dict, base: str) -> tuple[int, dict[str, str], bytes]:
    body = response.get("body")
    payload = b"" if body is None else json.dumps(sample(body, base)).encode()
    return response["status"], sample(dict(response.get("headers") or {}), base), payload


def _query(seen: Seen) -> dict[str, str]:
    raw = seen.path.partition("?")[2]
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _is_currency_lookup(seen: Seen) -> bool:
    return seen.path.startswith(SUITEQL_PATH) and json.loads(seen.body or b"{}").get("q") == CURRENCY_QUERY


def _check_request(expected: dict, seen: Seen) -> list[str]:
    problems = []
    if seen.method != expected["method"]:
        problems.append(f"method {seen.method} != {expected['method']}")
    if seen.path.partition("?")[0] != expected["path"]:
        problems.append(f"path {seen.path} != {expected['path']}")
    if _query(seen) != {k: str(v) for k, v in (expected.get("query") or {}).items()}:
        problems.append(f"query {_query(seen)} != {expected.get('query')}")
    headers = {k.lower(): v for k, v in seen.headers.items()}
    for name, value in (expected.get("headers") or {}).items():
        if not headers.get(name.lower(), "").startswith(value):
            problems.append(f"header {name}: {headers.get(name.lower())!r} != {value!r}")
    body = json.loads(seen.body) if seen.body else None
    if body != expected.get("body"):
        problems.append(f"body {body} != {expected.get('body')}")
    return problems


@pytest.mark.parametrize("fixture", FIXTURES, ids=fixture_id)
def test_connector_sends_the_documented_request_and_reads_the_answer(fixture):
    spec = fill(fixture["connector"], CONTEXT)
    request = fill(fixture["request"], CONTEXT)
    server = ScriptedServer().start()
    try:
        answer = spec.get("reply") or fill(fixture["response"], CONTEXT)
        own = _reply(answer, server.url)
        currency = (200, {"Content-Type": "application/json"}, json.dumps(CURRENCIES).encode())

        def route(seen: Seen):
            return currency if _is_currency_lookup(seen) and request["path"] != SUITEQL_PATH else own

        def suiteql_route(seen: Seen):
            if _is_currency_lookup(seen) and (request.get("body") or {}).get("q") != CURRENCY_QUERY:
                return currency
            return own

        server.routes[SUITEQL_PATH] = suiteql_route
        server.routes[request["path"]] = suiteql_route if request["path"] == SUITEQL_PATH else route
        for extra in fixture.get("also") or []:
            server.routes[fill(extra["request"], CONTEXT)["path"]] = _reply(
                fill(extra["response"], CONTEXT), server.url
            )
        runtime = open_connection(
            BearerNetSuite(),
            connection_id="contract",
            config={"base_url": server.url, **(spec.get("connection") or {})},
            credential_type="bearer",
            secrets={"token": "contract-token"},
            policy=LOCAL,
            retries=0,
        )
        outcome, error = None, None
        try:
            if "trigger" in spec:
                outcome = runtime.poll(spec["trigger"], spec["config"], spec.get("cursor"))
            else:
                outcome = runtime.run_action(
                    spec["action"], spec["params"], idempotency_key=spec.get("idempotency_key")
                )
        except Exception as exc:  # noqa: BLE001 - the fixture says which error is right
            error = exc
        finally:
            runtime.close()
    finally:
        server.stop()

    own_query = (request.get("body") or {}).get("q") == CURRENCY_QUERY
    sent = [s for s in server.seen if own_query or not _is_currency_lookup(s)]
    assert sent, "the connector sent nothing"
    assert _check_request(request, sent[0]) == []
    for extra in fixture.get("also") or []:
        wanted = fill(extra["request"], CONTEXT)
        assert any(_check_request(wanted, s) == [] for s in sent[1:]), f"no request like {wanted}"

    if "raises" in spec:
        assert error is not None, f"expected {spec['raises']}, got {outcome!r}"
        assert spec["raises"] in {c.__name__ for c in type(error).__mro__}, repr(error)
        if "error_code" in spec:  # a 429 is RateLimited whatever its body (the safe client raises it)
            assert getattr(error, "error_code", None) == spec["error_code"]
        return
    assert error is None, repr(error)
    if "trigger" in spec:
        assert [item["id"] for item in outcome.items] == spec["result"]["items"]
        assert outcome.cursor == spec["result"]["cursor"]
    else:
        assert mismatches(spec["result"], outcome) == []


def test_every_action_and_trigger_has_a_contract():
    covered = {f["connector"].get("action") or f["connector"].get("trigger") for f in FIXTURES}
    declared = {a.key for a in NetSuiteConnector.actions} | {t.key for t in NetSuiteConnector.triggers}
    assert declared <= covered


def test_every_fixture_cites_its_page():
    for fixture in load():
        assert fixture["source"]["url"].startswith("https://docs.oracle.com/"), fixture["name"]
        assert fixture["source"]["title"], fixture["name"]
