"""The spine end to end through real parts: REST API and websockets on uvicorn, Celery workers and beat,
PostgreSQL and Redis. Nothing is mocked; the outside world is a local HTTP endpoint that counts calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, Run
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import ApiSession, Proc, open_websocket, receive_json, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TERMINAL = {"succeeded", "failed", "cancelled"}


# --------------------------------------------------------------------------- documents
def branching_document() -> dict:
    """webhook -> map -> if -> (big | small) -> merge: the spine's shape with every kind of pure node."""
    return document(
        [
            node("t", "trigger.webhook"),
            node("m", "transform.map", {"fields": [{"name": "double", "value": "{{ $item.n * 2 }}"}]}),
            node("if", "logic.if", {"condition": "$item.n > 5"}),
            node("big", "transform.map", {"fields": [{"name": "size", "value": "big"}]}),
            node("small", "transform.map", {"fields": [{"name": "size", "value": "small"}]}),
            node("merge", "logic.merge", {"mode": "append"}),
        ],
        [
            edge("t", "m"),
            edge("m", "if"),
            edge("if", "big", "true"),
            edge("if", "small", "false"),
            edge("big", "merge", target_port="a"),
            edge("small", "merge", target_port="b"),
        ],
    )


def cyclic_document() -> dict:
    doc = branching_document()
    doc["nodes"] += [node(n, "flow.noop") for n in ("x", "y", "z")]
    doc["edges"] += [edge("m", "x"), edge("x", "y"), edge("y", "z"), edge("z", "x")]
    return doc


def http(node_id: str, url: str, **extra: Any) -> dict:
    return node(node_id, "http.request", {"method": "POST", "url": url, "body": {"from": node_id}}, **extra)


# --------------------------------------------------------------------------- helpers
def wait_for_run(api: ApiSession, run_id: int, timeout: float = 20.0) -> dict:
    def finished() -> dict | None:
        data = api.get(f"/api/runs/{run_id}/").json()
        return data if data["status"] in TERMINAL else None

    return wait_until(finished, timeout, f"run {run_id} did not finish")


def collect_until_terminal(ws: ClientConnection, timeout: float = 20.0) -> list[dict]:
    """Every event of every frame until one says the run ended."""
    deadline = time.monotonic() + timeout
    events: list[dict] = []
    while not any(e["type"] in {f"run.{s}" for s in TERMINAL} for e in events):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no terminal event within {timeout}s; got {[e['type'] for e in events]}"
        frame = receive_json(ws, timeout=remaining)
        assert frame["type"] == "events", frame
        events.extend(frame["events"])
    return events


def collect_through(ws: ClientConnection, last_seq: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    events: list[dict] = []
    while not events or events[-1]["seq"] < last_seq:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"events stopped at {events[-1]['seq'] if events else None} < {last_seq}"
        frame = receive_json(ws, timeout=remaining)
        assert frame["type"] == "events", frame
        events.extend(frame["events"])
    return events


def key(events: list[dict]) -> list[tuple[int, str, str]]:
    return [(e["seq"], e["type"], e["node_id"]) for e in events]


def assert_refused(open_ws: Callable[[], ClientConnection], close_codes: set[int]) -> None:
    """The handshake is refused (HTTP 403), or the socket closes with one of ``close_codes`` at once;
    either way not a single frame (no snapshot) reaches the client."""
    try:
        ws = open_ws()
    except InvalidStatus as exc:
        assert exc.response.status_code == 403, exc.response.status_code
        return
    with ws:
        try:
            frame = ws.recv(timeout=5)
        except ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code in close_codes, exc
            return
        pytest.fail(f"the socket stayed open and sent {frame[:200]!r}")


# --------------------------------------------------------------------------- tests
def test_build_publish_and_watch_a_run_live(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], start_worker: Callable[[], Proc]
) -> None:
    org = make_org("Customer A")
    make_user("alice", org, "builder")
    api = login("alice")

    # A document with a cycle is stored as a draft, but the findings name the cycle on its nodes...
    created = api.post(
        "/api/flows/", json={"organisation": org.pk, "name": "Loop", "document": cyclic_document()}
    )
    assert created.status_code in (201, 400), created.text
    if created.status_code == 201:
        findings = api.get(f"/api/flows/{created.json()['id']}/").json()["draft"]["findings"]
    else:
        findings = created.json()["findings"]
    cycle = [f for f in findings if f["code"] == "cycle"]
    assert {f["node_id"] for f in cycle} == {"x", "y", "z"}, findings
    assert all(f["severity"] == "error" for f in cycle)
    assert any(s in cycle[0]["message"] for s in ("x -> y -> z -> x", "y -> z -> x -> y", "z -> x -> y -> z"))
    if created.status_code == 201:
        # ...and publishing it is refused with the same findings.
        refused = api.post(f"/api/flows/{created.json()['id']}/publish/", json={})
        assert refused.status_code == 400
        assert {f["node_id"] for f in refused.json()["findings"] if f["code"] == "cycle"} == {"x", "y", "z"}

    flow = api.publish_new_flow(org.pk, "Branches", branching_document())
    assert not [f for f in flow["draft"]["findings"] if f["severity"] == "error"]
    hook = flow["webhook_url"]
    assert hook.startswith(api.base_url + "/hooks/")

    # 1. Triggered before any worker runs: the snapshot shows the queued run, then every event arrives live.
    accepted = api.http.post(hook, json=[{"n": 3}, {"n": 7}], timeout=10)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["run_id"]
    with api.websocket(f"/ws/runs/{run_id}/") as ws:
        snapshot = receive_json(ws, timeout=10)
        assert snapshot["type"] == "snapshot" and isinstance(snapshot["seq"], int)
        assert snapshot["run"]["id"] == run_id and snapshot["run"]["last_seq"] == snapshot["seq"]
        assert snapshot["run"]["status"] == "queued" and snapshot["seq"] == 1
        start_worker()
        live = collect_until_terminal(ws)
    db_events = api.get(f"/api/runs/{run_id}/events/?after_seq=0").json()
    final_seq = db_events[-1]["seq"]
    assert [e["seq"] for e in db_events] == list(range(1, final_seq + 1))
    assert [e["seq"] for e in live] == list(range(snapshot["seq"] + 1, final_seq + 1)), (
        key(live),
        key(db_events),
    )  # once each, in order
    assert key(live) == key(db_events[snapshot["seq"] :])
    assert db_events[0]["type"] == "run.queued" and live[0]["type"] == "run.started"
    assert live[-1]["type"] == "run.succeeded"
    finished = {
        e["node_id"]: e["type"] for e in live if e["type"].startswith("node.") and e["type"] != "node.started"
    }
    assert finished == {n: "node.succeeded" for n in ("t", "m", "if", "big", "small", "merge")}

    run = api.get(f"/api/runs/{run_id}/").json()
    assert run["status"] == "succeeded" and run["origin"] == "webhook" and run["last_seq"] == final_seq
    three, seven = {"n": 3, "double": 6}, {"n": 7, "double": 14}
    assert run["output_items"] == [{**seven, "size": "big"}, {**three, "size": "small"}]
    nodes = {nr["node_id"]: nr for nr in run["node_runs"]}
    assert set(nodes) == {"t", "m", "if", "big", "small", "merge"}
    assert all(nr["status"] == "succeeded" and nr["attempt"] == 1 for nr in nodes.values())
    assert nodes["t"]["input_items"] == {"main": [{"n": 3}, {"n": 7}]}
    assert nodes["t"]["output_items"] == {"main": [{"n": 3}, {"n": 7}]}
    assert nodes["m"]["output_items"] == {"main": [three, seven]}
    assert nodes["if"]["input_items"] == {"main": [three, seven]}
    assert nodes["if"]["output_items"] == {"true": [seven], "false": [three]}
    assert nodes["big"]["input_items"] == {"main": [seven]}
    assert nodes["big"]["output_items"] == {"main": [{**seven, "size": "big"}]}
    assert nodes["small"]["input_items"] == {"main": [three]}
    assert nodes["small"]["output_items"] == {"main": [{**three, "size": "small"}]}
    assert nodes["merge"]["input_items"] == {
        "a": [{**seven, "size": "big"}],
        "b": [{**three, "size": "small"}],
    }
    assert nodes["merge"]["output_counts"] == {"main": 2}

    # 2. ?wait=1 answers with the last node's output (one item: the item itself); the false branch skipped.
    waited = api.http.post(hook + "?wait=1", json={"n": 9}, timeout=30)
    assert waited.status_code == 200, waited.text
    assert waited.json() == {"n": 9, "double": 18, "size": "big"}
    waited_run = api.get(f"/api/runs/{waited.headers['X-Flowbuilder-Run']}/").json()
    assert {nr["node_id"]: nr["status"] for nr in waited_run["node_runs"]}["small"] == "skipped"
    # Callers waiting at the same time share one subscription per web process: each gets its own answer.
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda n: requests.post(hook + "?wait=1", json={"n": n}, timeout=30), range(6, 12))
        )
    assert [(a.status_code, a.json()["double"]) for a in answers] == [(200, n * 2) for n in range(6, 12)]

    # 3. With the worker running, snapshot and events race; merged they still give each event once.
    accepted = api.http.post(hook, json={"n": 1}, timeout=10)
    run_id_2 = accepted.json()["run_id"]
    with api.websocket(f"/ws/runs/{run_id_2}/") as ws:
        snapshot_2 = receive_json(ws, timeout=10)
        assert snapshot_2["type"] == "snapshot"
        live_2 = [] if snapshot_2["run"]["status"] in TERMINAL else collect_until_terminal(ws)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)  # nothing after the end: no duplicates of what the snapshot covered
    db_events_2 = api.get(f"/api/runs/{run_id_2}/events/").json()
    assert [e["seq"] for e in db_events_2] == list(range(1, len(db_events_2) + 1))
    assert key(live_2) == key(db_events_2[snapshot_2["seq"] :])
    assert db_events_2[-1]["type"] == "run.succeeded"

    # 4. A reconnecting client resumes after the last seq it saw and gets exactly the rest.
    seen = 3
    with api.websocket(f"/ws/runs/{run_id}/") as ws:
        snapshot_3 = receive_json(ws, timeout=10)
        assert snapshot_3["type"] == "snapshot" and snapshot_3["seq"] == final_seq
        assert snapshot_3["run"]["status"] == "succeeded"
        ws.send(json.dumps({"type": "resume", "after_seq": seen}))
        replayed = collect_through(ws, final_seq)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)
    assert key(replayed) == key(db_events[seen:])


def test_parallel_branches_run_at_the_same_time(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    endpoint.slow("/a", 1.5)
    endpoint.slow("/b", 1.5)
    org = make_org("Customer A")
    make_user("alice", org, "builder")
    api = login("alice")
    doc = document(
        [
            node("t", "trigger.manual"),
            http("a", endpoint.url + "/a"),
            http("b", endpoint.url + "/b"),
            node("merge", "logic.merge", {"mode": "append"}),
        ],
        [
            edge("t", "a"),
            edge("t", "b"),
            edge("a", "merge", target_port="a"),
            edge("b", "merge", target_port="b"),
        ],
    )
    flow = api.publish_new_flow(org.pk, "Parallel", doc)
    started = api.post(f"/api/flows/{flow['id']}/run/", json={"input": {"id": 1}})
    assert started.status_code == 201, started.text
    run = wait_for_run(api, started.json()["id"])

    assert run["status"] == "succeeded", run["error"]
    assert endpoint.calls["/a"] == 1 and endpoint.calls["/b"] == 1
    (a_start,), (a_end,) = endpoint.started["/a"], endpoint.finished["/a"]
    (b_start,), (b_end,) = endpoint.started["/b"], endpoint.finished["/b"]
    assert a_start < b_end and b_start < a_end, "the two calls did not overlap"
    assert run["duration_ms"] < 2400, f"run took {run['duration_ms']} ms: branches ran one after the other"
    assert sorted(i["slow"] for i in run["output_items"]) == ["/a", "/b"]


def test_sigkilled_worker_loses_nothing(
    make_org: Any,
    make_user: Any,
    login: Callable[..., ApiSession],
    start_worker: Callable[[], Proc],
    start_beat: Callable[[], Proc],
    endpoint: Endpoint,
) -> None:
    def b_reply(n: int, body: Any) -> tuple[int, dict, Any]:
        if n == 1:
            time.sleep(4)  # the worker dies while it waits for this answer
        return 200, {}, {"b": n}

    endpoint.route("/b", b_reply)
    org = make_org("Customer A")  # its egress allow-list holds 127.0.0.1
    make_user("alice", org, "builder")
    api = login("alice")
    doc = document(
        [
            node("t", "trigger.manual"),
            http("a", endpoint.url + "/a"),
            http("b", endpoint.url + "/b"),
            http("c", endpoint.url + "/c"),
        ],
        [edge("t", "a"), edge("a", "b"), edge("b", "c")],
    )
    flow = api.publish_new_flow(org.pk, "Chain", doc)
    first = start_worker()
    started = api.post(f"/api/flows/{flow['id']}/run/", json={"input": {"id": 1}})
    assert started.status_code == 201, started.text
    run_id = started.json()["id"]

    assert endpoint.wait_for_calls("/b", 1, timeout=15), f"B was never called:\n{first.tail()}"
    assert NodeRun.objects.get(run_id=run_id, node_id="b").status == "running"
    first.kill()  # SIGKILL to the whole process group: parent and pool children
    assert first.popen.returncode == -9

    start_beat()
    start_worker()
    run = wait_for_run(api, run_id, timeout=40)

    assert run["status"] == "succeeded", run["error"]
    assert endpoint.calls["/a"] == 1 and endpoint.calls["/c"] == 1
    assert endpoint.calls["/b"] == 2  # interrupted once, then run again
    keys = {h["Idempotency-Key"] for h in endpoint.headers["/b"]}
    assert len(keys) == 1, f"a retried call must carry the same idempotency key: {keys}"
    row = Run.objects.get(pk=run_id)
    assert row.deliveries >= 1
    nodes = {nr["node_id"]: nr for nr in run["node_runs"]}
    assert nodes["b"]["attempt"] >= 2 and nodes["a"]["attempt"] == 1 and nodes["c"]["attempt"] == 1
    assert run["output_items"] == [{"ok": True, "path": "/c"}]
    events = api.get(f"/api/runs/{run_id}/events/").json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events].count("run.succeeded") == 1


def retry_flow(api: ApiSession, org_id: int, url: str) -> dict:
    doc = document(
        [node("t", "trigger.manual"), http("call", url, retry={"max_attempts": 3, "backoff_s": 0.5})],
        [edge("t", "call")],
    )
    return api.publish_new_flow(org_id, "Retry", doc)


def test_server_error_is_retried_and_the_run_succeeds(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    endpoint.sequence("/flaky", [(500, {}, {"error": "boom"}), (200, {}, {"done": True})])
    org = make_org("Customer A")
    make_user("alice", org, "builder")
    api = login("alice")
    flow = retry_flow(api, org.pk, endpoint.url + "/flaky")
    run = wait_for_run(api, api.post(f"/api/flows/{flow['id']}/run/", json={}).json()["id"])

    assert run["status"] == "succeeded", run["error"]
    assert endpoint.calls["/flaky"] == 2
    call = next(nr for nr in run["node_runs"] if nr["node_id"] == "call")
    assert call["attempt"] == 2 and call["output_items"] == {"main": [{"done": True}]}
    events = api.get(f"/api/runs/{run['id']}/events/").json()
    retrying = [e for e in events if e["type"] == "node.retrying"]
    assert len(retrying) == 1 and retrying[0]["payload"]["attempt"] == 1
    assert "500" in retrying[0]["payload"]["error"]["message"]


def test_retry_after_is_honoured(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    endpoint.sequence("/limited", [(429, {"Retry-After": "2"}, {"error": "slow down"}), (200, {}, {"ok": 2})])
    org = make_org("Customer A")
    make_user("alice", org, "builder")
    api = login("alice")
    flow = retry_flow(api, org.pk, endpoint.url + "/limited")
    run = wait_for_run(api, api.post(f"/api/flows/{flow['id']}/run/", json={}).json()["id"])

    assert run["status"] == "succeeded", run["error"]
    first, second = endpoint.started["/limited"]
    assert second - first >= 1.9, f"the retry came {second - first:.2f}s after a 429 asking for 2 s"
    assert second - first < 6, "the retry was not woken near the time the server asked for"
    call = next(nr for nr in run["node_runs"] if nr["node_id"] == "call")
    assert call["attempt"] == 2 and call["output_items"] == {"main": [{"ok": 2}]}


def test_websocket_needs_session_origin_and_permission(
    make_org: Any, make_user: Any, login: Callable[..., ApiSession], live_server_url: str
) -> None:
    org_a, org_b = make_org("Customer A"), make_org("Customer B")
    alice = make_user("alice", org_a, "builder")
    make_user("bob", org_b, "admin")
    flow = flow_actions.create_flow(
        actor=alice, organisation=org_a, name="A's flow", document=branching_document()
    )
    flow_actions.publish_flow(actor=alice, flow=flow)
    flow.refresh_from_db()
    run = run_actions.start_run(actor=alice, flow=flow, input_items=[{"n": 1}])  # stays queued: no worker
    path = f"/ws/runs/{run.pk}/"
    alice_api, bob_api = login("alice"), login("bob")

    # Control: the owner's builder gets the snapshot, so the refusals below are about who is asking.
    with alice_api.websocket(path) as ws:
        snapshot = receive_json(ws, timeout=10)
        assert snapshot["type"] == "snapshot" and snapshot["run"]["id"] == run.pk

    # No session.
    assert_refused(lambda: open_websocket(live_server_url, path), {4401, 4403})
    # Customer B's admin on customer A's run: the same answer as for a run that does not exist.
    assert_refused(lambda: bob_api.websocket(path), {4404})
    assert_refused(lambda: bob_api.websocket(f"/ws/runs/{run.pk + 10_000}/"), {4404})
    assert bob_api.get(f"/api/runs/{run.pk}/").status_code == 404
    # A page on another origin riding alice's cookies.
    with pytest.raises(InvalidStatus) as refused:
        alice_api.websocket(path, origin="http://evil.example.com")
    assert refused.value.response.status_code == 403
