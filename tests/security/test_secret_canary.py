"""A canary secret used by a real run must appear nowhere it could leak.

A connection holds a unique canary token; a flow sends it (through the http.request node with that
connection) to a local endpoint, with tasks executed inline (eager Celery) on real PostgreSQL. Then the
canary is searched for in: log records at DEBUG, NodeRun outputs and errors, the run's output and error,
RunEvent payloads, audit rows, realtime messages handed to the channel layer, Celery task arguments, and
API responses (connection list/detail, run detail and events, flow detail and export).
"""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from django.db import connection as db

from flowbuilder.audit.models import AuditEvent
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution import dispatch, publish
from flowbuilder.execution.models import NodeRun, RunEvent, RunStatus
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "CANARY-" + secrets.token_hex(12)


@pytest.fixture
def eager(eager, fresh_runtime_cache):
    """Tasks inline, and no connection runtime cached from an earlier test."""


@pytest.fixture
def published(monkeypatch):
    messages: list = []
    original = publish.send_now

    def record(groups, message):
        messages.append({"groups": list(groups), "message": message})
        original(groups, message)

    monkeypatch.setattr(publish, "send_now", record)
    return messages


@pytest.fixture
def enqueued(monkeypatch):
    """Every task handed to Celery (execution.dispatch is the one place that enqueues)."""
    calls: list = []
    original = dispatch._send

    def send(name, args, countdown=None, priority=None):
        calls.append({"task": name, "args": args, "options": {"countdown": countdown, "priority": priority}})
        return original(name, args, countdown, priority)

    monkeypatch.setattr(dispatch, "_send", send)
    return calls


def _dump(value) -> str:
    return json.dumps(value, default=str)


def test_the_canary_secret_never_leaks(
    make_org, make_user, api, endpoint, eager, published, enqueued, caplog
):
    caplog.set_level(logging.DEBUG)
    endpoint.route("/v1/customers", lambda n, body: (200, {}, {"id": n, "received": body}))
    endpoint.route("/v1/denied", lambda n, body: (403, {}, {"error": "forbidden"}))
    org = make_org("Acme")
    admin = make_user("alice", org, "admin")
    client = api(admin)

    created = client.post(
        "/api/connections/",
        {
            "organisation": org.pk,
            "name": "Canary API",
            "connector": "http",
            "base_url": endpoint.url + "/v1",
            "credential_type": "bearer",
            "credentials": {"token": CANARY},
        },
        format="json",
    )
    assert created.status_code == 201
    conn_ref = created.json()["ref"]

    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "send",
                "http.request",
                {
                    "method": "POST",
                    "url": endpoint.url + "/v1/customers",
                    "connection": conn_ref,
                    "body": {"name": "{{ $item.name }}"},
                    "output": "full",
                },
            ),
            node(
                "denied",
                "http.request",
                {"method": "GET", "url": endpoint.url + "/v1/denied", "connection": conn_ref},
                on_error="continue",
            ),
        ],
        [edge("t", "send"), edge("send", "denied")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="canary", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    run = run_actions.start_run(actor=admin, flow=flow, input_items=[{"name": "a"}, {"name": "b"}])
    run.refresh_from_db()
    test = client.post(f"/api/connections/{created.json()['id']}/test/")

    # The canary really was used: the endpoint got it as the bearer token.
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert endpoint.calls["/v1/customers"] == 2 and endpoint.calls["/v1/denied"] == 1
    recorded_headers = getattr(endpoint, "headers", {}).get("/v1/customers")
    if recorded_headers is not None:
        assert recorded_headers[0]["Authorization"] == f"Bearer {CANARY}"
    assert NodeRun.objects.get(run=run, node_id="denied").error  # a failure message was produced

    places: dict[str, str] = {
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records),
        "node runs": _dump(list(NodeRun.objects.filter(run=run).values("output_items", "error"))),
        "run": _dump([run.output_items, run.error, run.input_items, run.options]),
        "events": _dump(list(RunEvent.objects.filter(run=run).values("type", "payload"))),
        "audit": _dump(list(AuditEvent.objects.values("action", "before", "after"))),
        "published": _dump(published),
        "celery": _dump(enqueued),
        "connection list": client.get("/api/connections/").content.decode(),
        "connection detail": client.get(f"/api/connections/{created.json()['id']}/").content.decode(),
        "connection create": created.content.decode(),
        "connection test": test.content.decode(),
        "run detail": client.get(f"/api/runs/{run.pk}/").content.decode(),
        "run events": client.get(f"/api/runs/{run.pk}/events/").content.decode(),
        "flow detail": client.get(f"/api/flows/{flow.pk}/").content.decode(),
        "flow export": client.get(f"/api/flows/{flow.pk}/export/").content.decode(),
    }
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM credentials_connection")
        places["connection rows"] = repr(cursor.fetchall())
    assert published and enqueued and test.json()["ok"] is True
    assert all(call["args"] == (run.pk,) or call["task"] != "execution.advance_run" for call in enqueued)
    leaks = [where for where, text in places.items() if CANARY in text]
    assert leaks == [], f"the canary secret leaked into: {leaks}"
