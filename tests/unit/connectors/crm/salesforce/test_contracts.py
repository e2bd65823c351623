"""Contract tests, connector side: for each documented exchange the Salesforce or Certinia connector sends
exactly the documented request (method, path, query, body, auth; never an Idempotency-Key header) and
turns the documented answer into the right result or error. The other side is
tests/unit/sandbox/salesforce/test_contracts.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import open_connection
from connectors.crm.salesforce.connector import SalesforceConnector
from connectors.errors import ConflictError, ConnectorError, InvalidInput, NotFound, RateLimited
from connectors.psa.certinia.connector import CertiniaConnector
from tests.support.scripted_server import LOCAL, ScriptedServer

from .contracts import fill, ids, load

FAKES = {
    "token": "00DSANDBOX000001!token",
    "bad_token": "00DSANDBOX000001!expired",
    "idempotency_key": "fb-run-1-node-0",
    "ext": "EXT-1",
    "account_id": "001Dn0000000001IAA",
    "record_id": "001Dn0000000002IAA",
    "missing_id": "001Dn00000ZZZZZIAA",
    "opportunity_id": "006Dn0000000001IAA",
    "opportunity_line_id": "00kDn0000000001IAA",
    "pricebook_id": "01sDn0000000001IAA",
    "pricebook_entry_id": "01uDn0000000001IAA",
    "product_id": "01tDn0000000001IAA",
    "quote_id": "0Q0Dn0000000001IAA",
    "project_id": "a1HDn0000000001IAA",
    "resource_id": "003Dn0000000001IAA",
    "schedule_id": "a1PDn0000000001IAA",
    "timecard_id": "a24Dn0000000001IAA",
    "milestone_id": "a1FDn0000000001IAA",
    "billing_event_id": "a0YDn0000000001IAA",
    "expense_report_id": "a17Dn0000000001IAA",
    "new_id": "a1HDn0000000009IAA",
    "any": "value",
    "contract_id": "800Dn0000000001IAA",
    "quote_line_id": "0QLDn0000000001IAA",
    "assignment_id": "a0zDn0000000001IAA",
    "resource_request_id": "a1QDn0000000001IAA",
    "split_id": "a23Dn0000000001IAA",
    "expense_id": "a16Dn0000000001IAA",
    "rate_card_id": "a1NDn0000000001IAA",
    "billing_event_item_id": "a0XDn0000000001IAA",
    "misc_adjustment_id": "a1DDn0000000001IAA",
}
FAKES |= {name.replace("_id", "_ext"): f"EXT-{name[:-3]}" for name in list(FAKES) if name.endswith("_id")}
CONNECTORS = {"salesforce": SalesforceConnector(), "certinia": CertiniaConnector()}
FIXTURES = [(system, f) for system in CONNECTORS for f in load(system) if f.get("setup") != "sandbox_only"]


def _reply(fixture: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    response = fill(fixture["response"], FAKES)
    body = response["body"]
    if isinstance(body, dict) and body.get("records") == FAKES["any"]:  # "any records": none here
        body = {**body, "records": [], "done": True}
    payload = b"" if body is None else json.dumps(body).encode()
    return response["status"], dict(response["headers"]), payload


def _run(system: str, fixture: dict[str, Any], server: ScriptedServer) -> Any:
    headers = fill(fixture["request"]["headers"], FAKES)
    token = headers.get("Authorization", "Bearer x").removeprefix("Bearer ")
    runtime = open_connection(
        CONNECTORS[system],
        connection_id=f"contract-{system}",
        config={"base_url": server.url},
        credential_type="bearer",
        secrets={"token": token},
        policy=LOCAL,
        backoff_base=0.01,
    )
    try:
        action = fixture["action"]
        params = fill(fixture["input"], FAKES)
        if action.startswith("trigger:"):
            return runtime.poll(action.removeprefix("trigger:"), params["config"], params["cursor"])
        if action == "probe":
            ok, message = runtime.test_connection()
            assert ok, message
            return message
        return runtime.run_action(action, params, idempotency_key=FAKES["idempotency_key"])
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("system", "fixture"),
    FIXTURES,
    ids=[f"{s}/{i}" for s, i in zip([s for s, _ in FIXTURES], ids([f for _, f in FIXTURES]), strict=True)],
)
def test_connector_sends_the_documented_request(system, fixture, server):
    server.routes = {}
    reply = _reply(fixture)
    expected = fill(fixture["request"], FAKES)
    before = [(fill(b["request"], FAKES), _reply(b)) for b in fixture.get("before", [])]

    def answer(seen: Any) -> tuple[int, dict[str, str], bytes]:
        for request, prior in before:  # the exchanges that come first (a lookup before a create)
            if seen.method == request["method"] and urlsplit(seen.path).path == request["path"]:
                return prior
        return reply

    for path in {urlsplit(expected["path"]).path, *(urlsplit(r["path"]).path for r, _ in before)}:
        server.routes[path] = answer
    status = fixture["response"]["status"]
    if fixture.get("connector") == "refuses_input":  # the input schema stops it before any request
        with pytest.raises(InvalidInput):
            _run(system, fixture, server)
        assert server.seen == []
        return
    if status >= 300:
        with pytest.raises(ConnectorError) as raised:
            _run(system, fixture, server)
        error = raised.value
        body = fixture["response"]["body"]
        if status == 300:
            assert isinstance(error, ConflictError)
        else:
            assert error.error_code == body[0]["errorCode"]
            if status == 404:
                assert isinstance(error, NotFound)
            if body[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED":
                assert isinstance(error, RateLimited)
            if body[0]["fields"]:
                assert error.fields == body[0]["fields"]
    else:
        result = _run(system, fixture, server)
        if (
            fixture["response"]["body"]
            and isinstance(result, dict)
            and "created"
            in (fixture["response"]["body"] if isinstance(fixture["response"]["body"], dict) else {})
        ):
            assert result["created"] is fixture["response"]["body"]["created"]
    for n, (request, _prior) in enumerate(before):
        assert (server.seen[n].method, urlsplit(server.seen[n].path).path) == (
            request["method"],
            request["path"],
        )
    sent = server.seen[len(before)]
    url = urlsplit(sent.path)
    assert sent.method == expected["method"]
    assert url.path == expected["path"]
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == expected["query"]
    assert (json.loads(sent.body) if sent.body else None) == expected["body"]
    headers = {k.lower(): v for k, v in sent.headers.items()}
    for name, value in expected["headers"].items():
        assert headers.get(name.lower()) == value, name
    assert "idempotency-key" not in headers  # Salesforce ignores it: idempotency is the external id


def test_every_fixture_cites_a_page_and_has_the_documented_shape():
    for system in CONNECTORS:
        for fixture in load(system):
            assert fixture["source"]["url"].startswith("https://") and fixture["source"]["title"]
            assert set(fixture["request"]) == {"method", "path", "query", "headers", "body"}
            assert set(fixture["response"]) == {"status", "headers", "body"}
            assert {"name", "note", "kind"} <= set(fixture)


def test_refusals_cover_the_documented_error_kinds():
    codes = {
        f["response"]["body"][0].get("errorCode") or f["response"]["body"][0].get("statusCode")
        for system in CONNECTORS
        for f in load(system)
        if f["kind"] == "refusal"
        and isinstance(f["response"]["body"], list)
        and isinstance(f["response"]["body"][0], dict)
    }
    documented = {
        "REQUIRED_FIELD_MISSING",  # required field missing
        "INVALID_FIELD_FOR_INSERT_UPDATE",  # read-only field sent
        "INVALID_FIELD",  # unknown field
        "JSON_PARSER_ERROR",  # wrong type
        "NOT_FOUND",  # not found
        "INVALID_SESSION_ID",  # auth missing or expired
        "REQUEST_LIMIT_EXCEEDED",  # rate limit
    }
    assert documented <= codes
