"""The Business Central connector against its contract fixtures: for every action and trigger, the requests
it sends are the documented ones (method, path, query, the headers that matter, body) and it reads the
documented answers and error bodies into the right results and errors. A scripted server on 127.0.0.1 plays
the answers back, routed by method and path."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from connectors.base import BEARER, open_connection
from connectors.erp.dynamics import client
from connectors.erp.dynamics.connector import DynamicsConnector
from tests.support.scripted_server import LOCAL, ScriptedServer, Seen

from .contract_support import SAMPLES, fill, fixture_id, load, mismatches, sample

CONTEXT = {
    "company": "8b1a1ac6-fb67-430a-bebb-c8da15c14060",
    "customer": "4b162fb2-d74a-431d-9b88-a5468984d334",
    "customer_number": "C10001",
    "throwaway": "9e0c3a52-1b8d-4f0e-a3f5-0c7a6b2d9e11",
    "draft": "1f3e7a10-7c4b-4d5e-9a2b-3c4d5e6f7a8b",
    "draft_etag": SAMPLES["<etag>"],  # what the played-back read of the draft answers
    "invoice": "2a4b6c8d-0e1f-4a3b-8c5d-6e7f8091a2b3",
    "memo": "3b5c7d9e-1f20-4b4c-9d6e-7f8091a2b3c4",
    "journal": "4c6d8e0f-2031-4c5d-ae7f-8091a2b3c4d5",
    "posting_journal": "5d7e9f10-3142-4d6e-bf80-91a2b3c4d5e6",
    "notify_url": "https://flows.example.com/hooks/abc123/",
    "silent_url": "https://flows.example.com/hooks/gone/",
    "subscription": "c670ea73cacb459bb51dc1740da2f1db",
    "uid": "c0ffee",
    "short": "c0ffee",
}
FIXTURES = [f for f in load() if f.get("connector")]


class BearerDynamics(DynamicsConnector):
    """Business Central with a pasted bearer token: request shapes are tested here, not the Entra grants."""

    credential_types = (*DynamicsConnector.credential_types, BEARER)


def _reply(response: dict, base: str) -> tuple[int, dict[str, str], bytes]:
    body = response.get("body")
    payload = b"" if body is None else json.dumps(sample(body, base)).encode()
    headers = {"Content-Type": "application/json", **sample(dict(response.get("headers") or {}), base)}
    return response["status"], headers, payload


def _query(seen: Seen) -> dict[str, str]:
    raw = seen.path.partition("?")[2]
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _check_request(expected: dict, seen: Seen) -> list[str]:
    problems = []
    if seen.method != expected["method"]:
        problems.append(f"method {seen.method} != {expected['method']}")
    if seen.path.partition("?")[0] != expected["path"]:
        problems.append(f"path {seen.path} != {expected['path']}")
    if _query(seen) != {k: str(v) for k, v in (expected.get("query") or {}).items()}:
        problems.append(f"query {_query(seen)} != {expected.get('query')}")
    headers = {k.lower(): v for k, v in seen.headers.items()}
    if not headers.get("authorization", "").startswith("Bearer "):
        problems.append("no bearer token")
    for name, value in (expected.get("headers") or {}).items():
        if not headers.get(name.lower(), "").startswith(value):
            problems.append(f"header {name}: {headers.get(name.lower())!r} != {value!r}")
    body = json.loads(seen.body) if seen.body else None
    if body != expected.get("body"):
        problems.append(f"body {body} != {expected.get('body')}")
    return problems


def _connection(spec: dict, url: str) -> dict:
    config = {"base_url": url, "company_id": CONTEXT["company"]}
    for key, value in (spec.get("connection") or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


@pytest.mark.parametrize("fixture", FIXTURES, ids=fixture_id)
def test_connector_sends_the_documented_request_and_reads_the_answer(fixture):
    spec = fill(fixture["connector"], CONTEXT)
    request = fill(fixture["request"], CONTEXT)
    exchanges = [(request, spec.get("reply") or fill(fixture["response"], CONTEXT))]
    exchanges += [
        (fill(e["request"], CONTEXT), fill(e["response"], CONTEXT)) for e in fixture.get("also") or []
    ]
    server = ScriptedServer().start()
    client.forget_companies()
    try:
        replies: dict[str, dict[str, tuple]] = {}
        for req, resp in exchanges:
            replies.setdefault(req["path"], {})[req["method"]] = _reply(resp, server.url)
        for path, by_method in replies.items():
            server.routes[path] = lambda seen, m=by_method: m.get(seen.method, (405, {}, b""))
        runtime = open_connection(
            BearerDynamics(),
            connection_id="contract",
            config=_connection(spec, server.url),
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

    sent = server.seen
    assert sent, "the connector sent nothing"
    for wanted, _ in exchanges:
        matches = [_check_request(wanted, s) for s in sent]
        assert any(m == [] for m in matches), f"no request like {wanted}: {matches}"
    assert len(sent) == len(exchanges), [s.path for s in sent]

    if "raises" in spec:
        assert error is not None, f"expected {spec['raises']}, got {outcome!r}"
        assert spec["raises"] in {c.__name__ for c in type(error).__mro__}, repr(error)
        if "error_code" in spec:
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
    declared = {a.key for a in DynamicsConnector.actions} | {t.key for t in DynamicsConnector.triggers}
    assert declared <= covered


def test_every_fixture_cites_its_page():
    for fixture in load():
        assert fixture["source"]["url"].startswith("https://learn.microsoft.com/"), fixture["name"]
        assert fixture["source"]["title"], fixture["name"]
