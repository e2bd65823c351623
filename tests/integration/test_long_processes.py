"""Long processes on real parts: a uvicorn server, Celery workers and beat as subprocesses, PostgreSQL, Redis.

A wait survives killing every worker process and beat (and the broker's messages); approvals are decided
by API and by the e-mail link through the real server; a timeout escalates; the saga undoes in reverse and
shows in the run; the error flow starts with the failure; and a dead worker's run resumes within 10 s with
the production durability settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from flowbuilder.execution import approvals
from flowbuilder.execution.models import ApprovalRequest, NodeRun, Run, RunOrigin
from tests.support.documents import document, edge, node
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import ApiSession, Proc, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TERMINAL = {"succeeded", "failed", "cancelled"}


def start(api: ApiSession, flow: dict, data: Any) -> int:
    answer = api.post(f"/api/flows/{flow['id']}/run/", json={"input": data})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def run_status(api: ApiSession, run_id: int) -> dict:
    return api.get(f"/api/runs/{run_id}/").json()


def wait_for_status(api: ApiSession, run_id: int, wanted: set[str], timeout: float) -> dict:
    return wait_until(
        lambda: (lambda r: r if r["status"] in wanted else None)(run_status(api, run_id)),
        timeout,
        f"run {run_id} never reached {wanted}",
    )


@pytest.fixture
def alice(make_org: Any, make_user: Any, login: Callable[..., ApiSession]) -> tuple[Any, ApiSession]:
    org = make_org("Customer A")
    make_user("alice", org, "admin")
    return org, login("alice")


def test_a_wait_survives_killing_every_worker_and_beat_and_resumes_on_time(
    alice: tuple[Any, ApiSession],
    start_worker: Callable[[], Proc],
    start_beat: Callable[[], Proc],
    subprocess_env,
) -> None:
    org, api = alice
    doc = document(
        [
            node("t", "trigger.manual"),
            node("w", "flow.wait", {"mode": "duration", "amount": 6, "unit": "seconds"}),
            node("m", "transform.map", {"fields": [{"name": "resumed", "value": True}]}),
        ],
        [edge("t", "w"), edge("w", "m")],
    )
    flow = api.publish_new_flow(org.pk, "Wait a bit", doc)
    worker, beat = start_worker(), start_beat()
    run_id = start(api, flow, {"invoice": "INV-7"})
    parked = wait_for_status(api, run_id, {"waiting"}, timeout=15)
    wake_at = Run.objects.get(pk=run_id).wake_at
    assert wake_at is not None and [n["status"] for n in parked["node_runs"] if n["node_id"] == "w"] == [
        "waiting"
    ]
    # Every process that could wake it dies, and the broker forgets its messages.
    worker.kill()
    beat.kill()
    redis.Redis.from_url(subprocess_env["CELERY_BROKER_URL"]).delete("runs")
    time.sleep(7)  # the wake-up time passes while nothing runs
    start_worker()
    new_beat = start_beat()
    new_beat.wait_for_log("Sending due task", timeout=30)  # the new beat is up and sweeping
    restarted = time.monotonic()
    done = wait_for_status(api, run_id, TERMINAL, timeout=20)
    assert done["status"] == "succeeded" and done["output_items"] == [{"invoice": "INV-7", "resumed": True}]
    assert time.monotonic() - restarted < 10  # the first sweeps of the new beat wake it
    assert Run.objects.get(pk=run_id).finished_at >= wake_at


def approval_flow(api: ApiSession, org_id: int, **config: Any) -> dict:
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "ok",
                "flow.approval",
                {
                    "title": "Invoice {{ $item.invoice }}",
                    "columns": ["invoice", "amount"],
                    "totals": ["amount"],
                    **config,
                },
            ),
            node("yes", "transform.map", {"fields": [{"name": "posted", "value": True}]}),
            node("no", "transform.map", {"fields": [{"name": "posted", "value": False}]}),
            node("late", "transform.map", {"fields": [{"name": "timed_out", "value": True}]}),
        ],
        [
            edge("t", "ok"),
            edge("ok", "yes", source_port="approved"),
            edge("ok", "no", source_port="rejected"),
            edge("ok", "late", source_port="timed_out"),
        ],
    )
    return api.publish_new_flow(org_id, "Approve invoices", doc)


def test_approvals_by_api_and_by_email_link_through_the_real_server(
    alice: tuple[Any, ApiSession],
    make_user: Any,
    login: Callable[..., ApiSession],
    live_server_url: str,
    worker: Proc,
    start_beat: Callable[[], Proc],
) -> None:
    org, api = alice
    approver = make_user("pat", org, "approver")
    pat = login("pat")
    flow = approval_flow(api, org.pk, assignee_roles=["approver"])
    first = start(api, flow, [{"invoice": "INV-1", "amount": 100}, {"invoice": "INV-1", "amount": 50}])
    wait_for_status(api, first, {"waiting"}, timeout=15)
    inbox = pat.get("/api/approvals/?status=pending&mine=true").json()["results"]
    assert len(inbox) == 1 and inbox[0]["totals"] == {"amount": 150, "lines": 2} and inbox[0]["can_decide"]
    decided = pat.post(f"/api/approvals/{inbox[0]['id']}/decide/", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    done = wait_for_status(api, first, TERMINAL, timeout=15)
    assert [i["posted"] for i in done["output_items"]] == [True, True]

    second = start(api, flow, [{"invoice": "INV-2", "amount": 10}])
    wait_for_status(api, second, {"waiting"}, timeout=15)
    request = ApprovalRequest.objects.get(run_id=second)
    link = f"{live_server_url}/approvals/{approvals.link_token(request, approver)}/"
    anonymous = ApiSession(live_server_url)  # the link needs no session
    page = anonymous.http.get(link)
    assert page.status_code == 200 and "Invoice INV-2" in page.text
    csrf = anonymous.http.cookies.get("csrftoken")
    posted = anonymous.http.post(
        link,
        data={"decision": "reject", "reason": "Wrong PO", "csrfmiddlewaretoken": csrf},
        headers={"Referer": link},
    )
    assert posted.status_code == 200, posted.text[:500]
    done = wait_for_status(api, second, TERMINAL, timeout=15)
    assert (
        done["output_items"][0]["posted"] is False
        and done["output_items"][0]["approval"]["reason"] == "Wrong PO"
    )
    assert (
        anonymous.http.post(
            link, data={"decision": "approve", "csrfmiddlewaretoken": csrf}, headers={"Referer": link}
        ).status_code
        == 403
    )


def test_an_unanswered_approval_escalates_then_times_out(
    alice: tuple[Any, ApiSession], make_user: Any, worker: Proc, start_beat: Callable[[], Proc]
) -> None:
    org, api = alice
    make_user("pat", org, "approver")
    boss = make_user("boss", org, "admin")
    # 0.001 h = 3.6 s for each stage.
    flow = approval_flow(
        api, org.pk, assignee_roles=["approver"], timeout_hours=0.001, escalate_to_users=["boss"]
    )
    start_beat()
    run_id = start(api, flow, [{"invoice": "INV-3", "amount": 5}])
    wait_for_status(api, run_id, {"waiting"}, timeout=15)
    request = ApprovalRequest.objects.get(run_id=run_id)
    wait_until(
        lambda: ApprovalRequest.objects.get(pk=request.pk).escalation_level == 1,
        20,
        "the approval never escalated",
    )
    assert list(ApprovalRequest.objects.get(pk=request.pk).assignee_users.all()) == [boss]
    done = wait_for_status(api, run_id, TERMINAL, timeout=20)
    assert done["status"] == "succeeded" and done["output_items"][0]["timed_out"] is True
    assert ApprovalRequest.objects.get(pk=request.pk).status == "timed_out"


def test_the_saga_undoes_in_reverse_and_the_error_flow_starts(
    alice: tuple[Any, ApiSession], worker: Proc, endpoint: Endpoint
) -> None:
    org, api = alice
    endpoint.route("/invoice", lambda n, body: (422, {}, {"error": "period closed"}))

    def step(name: str) -> dict:
        return node(
            name,
            "http.request",
            {"method": "POST", "url": f"{endpoint.url}/{name}"},
            compensation={
                "type": "http.request",
                "config": {"method": "POST", "url": f"{endpoint.url}/undo-{name}"},
            },
        )

    handler = api.publish_new_flow(
        org.pk,
        "Tell finance",
        document([node("t", "trigger.manual"), node("m", "transform.map", {"fields": []})], [edge("t", "m")]),
    )
    doc = document(
        [
            node("t", "trigger.manual"),
            step("mark_billed"),
            step("draft"),
            node("invoice", "http.request", {"method": "POST", "url": f"{endpoint.url}/invoice"}),
        ],
        [edge("t", "mark_billed"), edge("mark_billed", "draft"), edge("draft", "invoice")],
    )
    flow = api.publish_new_flow(org.pk, "Bill", doc)
    assert api.patch(f"/api/flows/{flow['id']}/", json={"error_flow": handler["id"]}).status_code == 200
    run_id = start(api, flow, {"project": "P-1"})
    done = wait_for_status(api, run_id, TERMINAL, timeout=20)
    assert done["status"] == "failed" and done["error"]["category"] == "refused_value"
    assert done["error"]["saga"] == {"undone": ["draft", "mark_billed"], "undo_failed": []}
    assert [(c["node_id"], c["status"]) for c in done["compensations"]] == [
        ("draft", "succeeded"),
        ("mark_billed", "succeeded"),
    ]
    assert endpoint.started["/undo-draft"][0] < endpoint.started["/undo-mark_billed"][0]
    error_run = wait_until(
        lambda: Run.objects.filter(
            origin=RunOrigin.ERROR_FLOW, parent_run_id=run_id, status="succeeded"
        ).first(),
        15,
        "the error flow did not run",
    )
    assert error_run.input_items[0]["node"]["id"] == "invoice" and error_run.input_items[0]["input_item"]


def test_a_killed_workers_run_resumes_within_ten_seconds_with_default_settings(
    alice: tuple[Any, ApiSession], subprocess_env: dict[str, str], integration_logs, endpoint: Endpoint
) -> None:
    org, api = alice

    def slow(n: int, body: Any) -> tuple[int, dict, Any]:
        if n == 1:
            time.sleep(30)  # the worker dies while it waits for this answer
        return 200, {}, {"n": n}

    endpoint.route("/slow", slow)
    doc = document(
        [
            node("t", "trigger.manual"),
            node("call", "http.request", {"method": "POST", "url": endpoint.url + "/slow"}),
        ],
        [edge("t", "call")],
    )
    flow = api.publish_new_flow(org.pk, "Slow", doc)
    # Production durability settings (the shared fixtures shorten them for speed): no overrides.
    env = {
        k: v
        for k, v in subprocess_env.items()
        if k not in {"FLOWBUILDER_HEARTBEAT_S", "FLOWBUILDER_STALE_AFTER_S", "FLOWBUILDER_SWEEP_INTERVAL_S"}
    }
    procs: list[Proc] = []
    try:
        for name, args in (
            (
                "worker-a",
                [
                    "worker",
                    "-Q",
                    "runs",
                    "-c",
                    "2",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "info",
                    "-n",
                    "a@%h",
                ],
            ),
            (
                "worker-b",
                [
                    "worker",
                    "-Q",
                    "runs",
                    "-c",
                    "2",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "info",
                    "-n",
                    "b@%h",
                ],
            ),
        ):
            procs.append(
                Proc(name, [_python(), "-m", "celery", "-A", "flowbuilder", *args], env, integration_logs)
            )
        for proc in procs:
            proc.wait_for_log(" ready.", timeout=30)
        beat = Proc(
            "beat-default",
            [
                _python(),
                "-m",
                "celery",
                "-A",
                "flowbuilder",
                "beat",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
            env,
            integration_logs,
        )
        procs.append(beat)
        run_id = start(api, flow, {"id": 1})
        assert endpoint.wait_for_calls("/slow", 1, timeout=20)
        # The worker that received the run (not its start-up banner, which lists every task).
        holder = next(p for p in procs[:2] if "Task execution.advance_run[" in p.log_text())
        killed_at = time.monotonic()
        holder.kill()
        assert endpoint.wait_for_calls("/slow", 2, timeout=15), "the run was not resumed"
        resumed_after = endpoint.started["/slow"][1] - killed_at
        assert resumed_after < 10, f"resumed {resumed_after:.1f}s after the SIGKILL"
        done = wait_for_status(api, run_id, TERMINAL, timeout=20)
        assert done["status"] == "succeeded"
        assert NodeRun.objects.get(run_id=run_id, node_id="call").attempt == 2
    finally:
        for proc in procs:
            proc.stop()


def _python() -> str:
    import sys

    return sys.executable
