"""Issue 10, defect 2: "Run this node" on a node with a predecessor finishes in about the node's own time
on a real worker, fed by pinned data, or else by the last run's output of its inputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.documents import document, edge, node
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import ApiSession, Proc, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TERMINAL = {"succeeded", "failed", "cancelled"}


def wait_for_run(api: ApiSession, run_id: int, timeout: float = 15.0) -> dict:
    def finished() -> dict | None:
        data = api.get(f"/api/runs/{run_id}/").json()
        return data if data["status"] in TERMINAL else None

    return wait_until(finished, timeout, f"run {run_id} did not finish", interval=0.1)


def flow_document(url: str) -> dict:
    return document(
        [
            node("t", "trigger.webhook"),
            node("m", "transform.map", {"fields": [{"name": "double", "value": "{{ $item.n * 2 }}"}]}),
            node("plus", "transform.map", {"fields": [{"name": "more", "value": "{{ $item.double + 1 }}"}]}),
            node(
                "call", "http.request", {"method": "POST", "url": url, "body": '{"d": "{{ $item.double }}"}'}
            ),
        ],
        [edge("t", "m"), edge("m", "plus"), edge("m", "call")],
    )


def test_run_this_node_uses_pinned_then_last_run_data_and_finishes_quickly(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    endpoint.route("/hook", lambda n, body: (200, {}, {"got": body}))
    org = make_org("Acme")
    make_user("bea", org, "builder")
    api = login("bea")
    created = api.post(
        "/api/flows/",
        json={"organisation": org.pk, "name": "One node", "document": flow_document(endpoint.url + "/hook")},
    )
    assert created.status_code == 201, created.text
    flow_id = created.json()["id"]

    # 1. With pinned data for the predecessor (what the editor sends).
    started = time.monotonic()
    response = api.post(
        f"/api/flows/{flow_id}/run/",
        json={"use_draft": True, "only_node": "plus", "pinned": {"m": [{"double": 41}]}},
    )
    assert response.status_code == 201, response.text
    run = wait_for_run(api, response.json()["id"])
    assert run["status"] == "succeeded", run
    assert time.monotonic() - started < 10
    assert [nr["node_id"] for nr in run["node_runs"]] == ["plus"]
    assert run["node_runs"][0]["output_items"] == {"main": [{"double": 41, "more": 42}]}

    # 2. Without pinned data: the last run's output of its input stands in.
    full = api.post(f"/api/flows/{flow_id}/run/", json={"use_draft": True, "input": {"n": 5}})
    assert wait_for_run(api, full.json()["id"])["status"] == "succeeded"
    response = api.post(f"/api/flows/{flow_id}/run/", json={"use_draft": True, "only_node": "plus"})
    run = wait_for_run(api, response.json()["id"])
    assert run["status"] == "succeeded", run
    assert run["node_runs"][0]["output_items"] == {"main": [{"n": 5, "double": 10, "more": 11}]}

    # 3. A side-effect node (HTTP request) alone, after its predecessor's last run.
    response = api.post(f"/api/flows/{flow_id}/run/", json={"use_draft": True, "only_node": "call"})
    run = wait_for_run(api, response.json()["id"])
    assert run["status"] == "succeeded", run
    assert endpoint.bodies["/hook"][-1] == {"d": 10}
