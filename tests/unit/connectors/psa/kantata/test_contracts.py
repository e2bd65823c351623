"""The connector against Kantata's documented contracts (connectors/psa/kantata/contracts/*.json): each
action and the trigger send exactly the documented request (method, path, query, bearer header, body)
and read the documented answers, errors included, into records or the right ConnectorError."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors import errors
from connectors.base import open_connection
from connectors.psa.kantata.connector import KantataConnector
from tests.support.scripted_server import LOCAL, ScriptedServer, json_reply

from .contract_cases import KEY, case_id, concrete, fill, load_cases

CASES = load_cases()
IDS = {
    "ws": "5000001",
    "story": "7000001",
    "entry": "9000001",
    "approved_entry": "9000002",
    "invoiced_entry": "9000003",
    "expense": "8000001",
    "category": "3400001",
    "key": "fb-run-node-0",
}
ERRORS = {
    "HTTPStatusError": errors.HTTPStatusError,
    "NotFound": errors.NotFound,
    "AuthError": errors.AuthError,
    "RateLimited": errors.RateLimited,
}


def _runtime(server: ScriptedServer, retries: int | None = None) -> Any:
    options = {} if retries is None else {"retries": retries}
    return open_connection(
        KantataConnector(),
        connection_id="contract",
        config={"base_url": server.url},
        credential_type="bearer",
        secrets={"token": "tok-contract"},
        policy=LOCAL,
        **options,
    )


def _serve(server: ScriptedServer, case: dict[str, Any]) -> None:
    """Answer the documented response; an external-reference lookup finds nothing unless the case says."""
    answer = concrete(fill(case["response"], IDS))
    body = b"" if answer["body"] is None else json.dumps(answer["body"]).encode()
    headers = {k: v for k, v in answer["headers"].items() if k != "Content-Type"}
    empty = {
        "count": 0,
        "results": [],
        "meta": {"count": 0, "page_count": 1, "page_number": 1, "page_size": 2},
    }

    def reply(seen: Any) -> tuple[int, dict[str, str], bytes]:
        lookup = "external_reference_service_name" in seen.path
        if lookup and not case.get("lookup_hit"):
            return json_reply(200, json.dumps(empty).encode())
        if answer["status"] == 204:
            return 204, {}, b""
        return json_reply(answer["status"], body, **headers)

    path = fill(case["request"]["path"], IDS)
    server.routes[path] = reply
    for prior in case.get("prior", ()):  # what the action reads before the documented request
        reply_body = json.dumps(concrete(prior["response"]["body"])).encode()
        server.routes[prior["path"]] = json_reply(prior["response"]["status"], reply_body)
    server.routes.setdefault("/api/v1/users.json", reply)


def _run(runtime: Any, case: dict[str, Any]) -> Any:
    if case.get("trigger"):
        return runtime.poll(case["trigger"], fill(case["config"], IDS), case["cursor"])
    return runtime.run_action(case["action"], fill(case["input"], IDS), idempotency_key=IDS["key"])


def _sent(server: ScriptedServer, case: dict[str, Any]) -> Any:
    wanted = case["request"]["method"]
    candidates = [
        s
        for s in server.seen
        if s.method == wanted
        and ("external_reference_service_name" in s.path) == bool(case.get("lookup_hit"))
    ]
    assert candidates, f"no {wanted} was sent: {[(s.method, s.path) for s in server.seen]}"
    return candidates[-1]


@pytest.mark.parametrize("case", [c for c in CASES if c.get("action") or c.get("trigger")], ids=case_id)
def test_connector_sends_the_documented_request(case: dict[str, Any], server: ScriptedServer) -> None:
    _serve(server, case)
    runtime = _runtime(server, case.get("retries"))
    try:
        if case.get("connector_error"):
            with pytest.raises(ERRORS[case["connector_error"]]):
                _run(runtime, case)
        else:
            result = _run(runtime, case)
            assert result is not None
    finally:
        runtime.close()
    seen = _sent(server, case)
    expected = fill(case["request"], IDS)
    url = urlsplit(seen.path)
    assert url.path == expected["path"]
    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    assert query == expected["query"]
    assert seen.headers.get("Authorization") == "Bearer tok-contract"
    body = json.loads(seen.body) if seen.body else None
    assert body == expected["body"]


@pytest.mark.parametrize("case", [c for c in CASES if c.get("connector_error")], ids=case_id)
def test_connector_reads_each_documented_error(case: dict[str, Any], server: ScriptedServer) -> None:
    """Whatever request met it, a documented error answer becomes the matching ConnectorError, with
    the message Kantata gave (and the field it named) in it."""
    answer = concrete(case["response"])
    payload = json.dumps(answer["body"]).encode()
    server.routes["/api/v1/users.json"] = json_reply(answer["status"], payload, **{"Retry-After": "1"})
    runtime = _runtime(server, retries=0)
    try:
        with pytest.raises(ERRORS[case["connector_error"]]) as info:
            runtime.run_action("list_users", {"max_records": 1})
    finally:
        runtime.close()
    if case["connector_error"] == "RateLimited":
        return  # retried after Retry-After, or raised as RateLimited; its body is not documented
    item = answer["body"]["errors"][0]
    assert item["message"] in info.value.message
    if item.get("field"):
        assert item["field"] in info.value.message or item["field"] in info.value.hint
    assert info.value.error_code == item["type"]


def test_every_action_and_the_trigger_have_a_contract() -> None:
    covered = {c["action"] for c in CASES if c.get("action")} | {
        c["trigger"] for c in CASES if c.get("trigger")
    }
    connector = KantataConnector()
    wanted = {a.key for a in connector.actions if not a.key.startswith("get_")} | {
        t.key for t in connector.triggers
    }
    # get_* are the documented "show" route, the same for every collection: get_workspace stands for them.
    assert wanted - covered == set(), sorted(wanted - covered)
    assert "get_workspace" in covered
    assert all(c["source"]["url"].startswith("https://developer.kantata.com") for c in CASES)


def test_a_create_whose_reference_exists_sends_nothing(server: ScriptedServer) -> None:
    case = next(c for c in CASES if c.get("lookup_hit"))
    _serve(server, case)
    runtime = _runtime(server)
    try:
        found = _run(runtime, case)
    finally:
        runtime.close()
    assert found["id"] == "5000001"
    assert [s.method for s in server.seen] == ["GET"]
    assert KEY not in server.seen[0].path and IDS["key"] in server.seen[0].path
