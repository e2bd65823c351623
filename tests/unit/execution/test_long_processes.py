"""Long business processes in the engine (eager tasks, real PostgreSQL): waits, approvals, the saga, the
error flow, and rate limits that wait instead of failing. The sweeper's wake-up is what a worker's beat
does when the time comes; tests move the clock by moving the stored wake-up time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowbuilder.audit.models import AuditEvent
from flowbuilder.execution import actions, approvals, dispatch, tasks, waits
from flowbuilder.execution.durability import sweep
from flowbuilder.execution.failures import classify
from flowbuilder.execution.models import (
    ApprovalRequest,
    ApprovalStatus,
    Compensation,
    NodeRun,
    NodeStatus,
    Run,
    RunOrigin,
    RunStatus,
)
from flowbuilder.tenancy.models import Membership
from tests.conftest import document, edge, node
from tests.support.flows import published_flow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org(make_org):
    org = make_org("Acme")
    org.timezone = "America/New_York"
    org.save()
    return org


@pytest.fixture
def builder(org, make_user):
    return make_user("ben", org, "admin")


def publish(user, doc, **fields):
    return published_flow(user, None, fields.pop("name", "f"), doc, **fields)


def start(user, flow, items=None):
    run = actions.start_run(actor=user, flow=flow, input_items=items if items is not None else [{"n": 1}])
    run.refresh_from_db()
    return run


def time_passes(run):
    """The wait is over: its wake-up time is now in the past; the sweeper wakes the run."""
    past = timezone.now() - timedelta(seconds=1)
    NodeRun.objects.filter(run=run, status__in=[NodeStatus.WAITING, NodeStatus.RETRYING]).update(
        next_attempt_at=past
    )
    Run.objects.filter(pk=run.pk).update(wake_at=past)
    sweep()
    run.refresh_from_db()
    return run


# --- wait -------------------------------------------------------------------------------------------


# What a watcher is told of a run that parks once and then finishes.
RESUMED_RUN_EVENTS = ["run.queued", "run.started", "run.waiting", "run.started", "run.succeeded"]


def test_a_wait_parks_the_run_in_the_database_and_the_sweeper_resumes_it(builder, eager):
    doc = document(
        [
            node("t", "trigger.manual"),
            node("w", "flow.wait", {"mode": "duration", "amount": 2, "unit": "hours"}),
            node("after", "transform.map", {"fields": [{"name": "done", "value": True}]}),
        ],
        [edge("t", "w"), edge("w", "after")],
    )
    run = start(builder, publish(builder, doc))
    wait = NodeRun.objects.get(run=run, node_id="w")
    assert run.status == RunStatus.WAITING and wait.status == NodeStatus.WAITING
    expected = timezone.now() + timedelta(hours=2)
    assert abs((run.wake_at - expected).total_seconds()) < 60 and wait.next_attempt_at == run.wake_at
    assert not NodeRun.objects.filter(run=run, node_id="after").exists()
    assert sweep()["woken_runs"] == 0  # not due yet, and a parked run is never "stale"
    run = time_passes(run)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.output_items == [{"n": 1, "done": True}]
    types = list(run.events.values_list("type", flat=True))
    assert "node.waiting" in types and "run.waiting" in types and types[-1] == "run.succeeded"
    # The sweeper's wake-up writes no event; the engine tells watchers the run runs again.
    assert [t for t in types if t.startswith("run.")] == RESUMED_RUN_EVENTS
    assert run.events.filter(type="run.started").last().payload == {"status": "running", "resumed": True}


def wait_doc(seconds):
    return document(
        [
            node("t", "trigger.manual"),
            node("w", "flow.wait", {"mode": "duration", "amount": seconds, "unit": "seconds"}),
        ],
        [edge("t", "w")],
    )


def test_a_doorbell_before_the_wait_is_over_leaves_the_run_parked_and_silent(builder, eager, monkeypatch):
    run = start(builder, publish(builder, wait_doc(2 * 3600)))
    before = (run.status, run.wake_at, list(run.events.values_list("seq", "type")))
    rung = []
    with monkeypatch.context() as m:
        m.setattr(dispatch, "advance_run", lambda run_id, countdown=0.0, **kw: rung.append(countdown))
        tasks.advance_run.apply(args=(run.pk,))  # a duplicate delivery of the doorbell, two hours early
    run.refresh_from_db()
    assert (run.status, run.wake_at, list(run.events.values_list("seq", "type"))) == before
    assert NodeRun.objects.get(run=run, node_id="w").status == NodeStatus.WAITING
    assert rung == []  # two hours away: the sweeper wakes it, no countdown
    run = time_passes(run)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert [
        t for t in run.events.values_list("type", flat=True) if t.startswith("run.")
    ] == RESUMED_RUN_EVENTS


def test_an_early_doorbell_for_a_timer_close_at_hand_rings_again_when_it_is_due(builder, eager, monkeypatch):
    run = start(builder, publish(builder, wait_doc(30)))
    rung = []
    monkeypatch.setattr(dispatch, "advance_run", lambda run_id, countdown=0.0, **kw: rung.append(countdown))
    tasks.advance_run.apply(args=(run.pk,))
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING and run.events.filter(type="run.started").count() == 1
    assert len(rung) == 1 and 25 < rung[0] <= 30


def test_wait_until_a_local_time_uses_the_customers_time_zone(builder, eager):
    doc = document(
        [node("t", "trigger.manual"), node("w", "flow.wait", {"mode": "until", "until": "2031-01-15T09:00"})],
        [edge("t", "w")],
    )
    run = start(builder, publish(builder, doc))
    # 09:00 in New York in January is 14:00 UTC.
    assert run.wake_at.isoformat() == "2031-01-15T14:00:00+00:00"


def test_a_callback_resumes_a_waiting_run_once(builder, eager, client):
    doc = document(
        [node("t", "trigger.manual"), node("w", "flow.wait", {"mode": "callback", "timeout_hours": 24})],
        [edge("t", "w")],
    )
    run = start(builder, publish(builder, doc))
    state = NodeRun.objects.get(run=run, node_id="w").suspend_state
    assert run.status == RunStatus.WAITING and state["resume_url"].endswith("/")
    # The token is signed with a timestamp: compare what it names, not its text (a second may pass).
    prefix, token = state["resume_url"].rstrip("/").rsplit("/", 1)
    assert prefix.endswith("/hooks/resume")
    assert signing.loads(token, salt=waits.SALT) == [run.pk, "w"]
    path = f"/hooks/resume/{token}/"
    answer = client.post(path, {"paid": True}, content_type="application/json")
    assert answer.status_code == 202 and answer.json()["run_id"] == run.pk
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.output_items == [{"n": 1, "callback": {"paid": True}}]
    run_events = [t for t in run.events.values_list("type", flat=True) if t.startswith("run.")]
    assert run_events == RESUMED_RUN_EVENTS
    again = client.post(path, {"paid": True}, content_type="application/json")
    assert again.status_code == 409 and "not waiting" in again.json()["detail"]
    forged = client.post("/hooks/resume/" + waits.resume_token(run.pk, "w")[:-3] + "xyz/", {})
    assert forged.status_code == 404
    assert AuditEvent.objects.filter(action="run.resume", object_id=str(run.pk)).count() == 1


def test_run_detail_says_what_each_waiting_node_waits_for(builder, approver, eager, api):
    callback = document(
        [node("t", "trigger.manual"), node("w", "flow.wait", {"mode": "callback", "timeout_hours": 24})],
        [edge("t", "w")],
    )
    run = start(builder, publish(builder, callback, name="callback"))
    rows = {r["node_id"]: r for r in api(builder).get(f"/api/runs/{run.pk}/").json()["node_runs"]}
    waiting = rows["w"]["waiting"]
    assert waiting["reason"] == "callback" and waiting["approval_id"] is None
    # The token is signed with a timestamp: compare what it names, not its text (a second may pass).
    prefix, token = waiting["resume_url"].rstrip("/").rsplit("/", 1)
    assert prefix.endswith("/hooks/resume")
    assert signing.loads(token, salt=waits.SALT) == [run.pk, "w"]
    assert waiting["wake_at"] is not None  # the 24 h time-out
    assert rows["t"]["waiting"] is None
    approval = start(builder, publish(builder, approval_doc(), name="approval"), LINES)
    rows = {r["node_id"]: r for r in api(builder).get(f"/api/runs/{approval.pk}/").json()["node_runs"]}
    waiting = next(r["waiting"] for r in rows.values() if r["waiting"])
    assert waiting["reason"] == "approval" and waiting["resume_url"] is None
    assert waiting["approval_id"] == ApprovalRequest.objects.get(run=approval).pk


def test_a_callback_that_never_comes_times_out_on_its_own_port(builder, eager):
    doc = document(
        [
            node("t", "trigger.manual"),
            node("w", "flow.wait", {"mode": "callback", "timeout_hours": 1}),
            node("late", "transform.map", {"fields": [{"name": "late", "value": True}]}),
        ],
        [edge("t", "w"), edge("w", "late", source_port="timeout")],
    )
    run = time_passes(start(builder, publish(builder, doc)))
    assert run.status == RunStatus.SUCCEEDED and run.output_items == [{"n": 1, "late": True}]


# --- approval ---------------------------------------------------------------------------------------


def approval_doc(**config):
    return document(
        [
            node("t", "trigger.manual"),
            node(
                "ok",
                "flow.approval",
                {
                    "title": "Invoice {{ $item.invoice }}",
                    "columns": ["line", "amount"],
                    "totals": ["amount"],
                    **config,
                },
            ),
            node("yes", "transform.map", {"fields": [{"name": "posted", "value": True}]}),
            node("no", "transform.map", {"fields": [{"name": "posted", "value": False}]}),
        ],
        [
            edge("t", "ok"),
            edge("ok", "yes", source_port="approved"),
            edge("ok", "no", source_port="rejected"),
        ],
    )


LINES = [{"invoice": "INV-1", "line": 1, "amount": 100.5}, {"invoice": "INV-1", "line": 2, "amount": 20}]


@pytest.fixture
def approver(org, make_user):
    user = make_user("alice", org, "approver")
    user.email = "alice@example.com"
    user.save()
    return user


def test_an_approval_waits_for_an_assignee_who_approves_from_the_api(
    builder, approver, org, make_user, eager, api
):
    operator = make_user("olga", org, "operator")
    run = start(builder, publish(builder, approval_doc()), LINES)
    request = ApprovalRequest.objects.get(run=run)
    assert run.status == RunStatus.WAITING and request.title == "Invoice INV-1"
    assert request.totals == {"amount": 120.5, "lines": 2} and request.items == LINES
    # The assignee was told by e-mail, with a single-use link.
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] and "/approvals/" in mail.outbox[0].body
    inbox = api(approver).get("/api/approvals/?status=pending&mine=true").json()["results"]
    assert [a["id"] for a in inbox] == [request.pk] and inbox[0]["can_decide"] is True
    # No roles named: approvers and admins decide; an operator may see the request but not decide it.
    assert request.assignee_roles == ["approver", "admin"]
    refused = api(operator).post(
        f"/api/approvals/{request.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert refused.status_code == 403
    answer = api(approver).post(
        f"/api/approvals/{request.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert [item["posted"] for item in run.output_items] == [True, True]
    assert run.output_items[0]["approval"] == {"by": "alice", "reason": "", "decision": "approved"}
    assert AuditEvent.objects.filter(action="approval.decide", actor=approver).count() == 1


def test_reject_needs_a_reason_and_routes_to_rejected(builder, approver, eager, api):
    run = start(builder, publish(builder, approval_doc(assignee_roles=["approver"])), LINES)
    request = ApprovalRequest.objects.get(run=run)
    url = f"/api/approvals/{request.pk}/decide/"
    empty = api(approver).post(url, {"decision": "reject"}, format="json")
    assert empty.status_code == 400 and "reason" in empty.json()["errors"]
    answer = api(approver).post(url, {"decision": "reject", "reason": "Wrong rate"}, format="json")
    assert answer.status_code == 200
    run.refresh_from_db()
    assert [item["posted"] for item in run.output_items] == [False, False]
    assert run.output_items[0]["approval"]["reason"] == "Wrong rate"


def test_edit_and_approve_changes_only_editable_fields(builder, approver, eager, api):
    run = start(
        builder,
        publish(builder, approval_doc(assignee_roles=["approver"], editable_fields=["amount"])),
        LINES,
    )
    request = ApprovalRequest.objects.get(run=run)
    url = f"/api/approvals/{request.pk}/decide/"
    sneaky = [{**LINES[0], "invoice": "INV-9"}, LINES[1]]
    assert api(approver).post(url, {"decision": "approve", "items": sneaky}, format="json").status_code == 400
    edited = [{**LINES[0], "amount": 90}, LINES[1]]
    assert api(approver).post(url, {"decision": "approve", "items": edited}, format="json").status_code == 200
    run.refresh_from_db()
    assert [item["amount"] for item in run.output_items] == [90, 20]


def test_the_email_link_decides_once_by_post(builder, approver, eager, client):
    run = start(builder, publish(builder, approval_doc(assignee_roles=["approver"])), LINES)
    request = ApprovalRequest.objects.get(run=run)
    path = "/approvals/" + approvals.link_token(request, approver) + "/"
    page = client.get(path)
    assert page.status_code == 200 and b"Invoice INV-1" in page.content and b"alice" in page.content
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING  # GET decides nothing
    assert client.post(path, {"decision": "approve"}).status_code == 200
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert ApprovalRequest.objects.get(pk=request.pk).decided_via == "email"
    assert client.post(path, {"decision": "reject", "reason": "x"}).status_code == 403  # single use


def test_a_timeout_escalates_once_then_times_out(builder, approver, org, make_user, eager):
    boss = make_user("boss", org, "admin")
    doc = approval_doc(assignee_roles=["approver"], timeout_hours=1, escalate_to_users=["boss"])
    doc["nodes"].append(node("late", "transform.map", {"fields": [{"name": "timed_out", "value": True}]}))
    doc["edges"].append(edge("ok", "late", source_port="timed_out"))
    run = start(builder, publish(builder, doc), LINES)
    request = ApprovalRequest.objects.get(run=run)
    run = time_passes(run)
    request.refresh_from_db()
    assert run.status == RunStatus.WAITING and request.escalation_level == 1
    assert list(request.assignee_users.all()) == [boss] and not approvals.may_decide(approver, request)
    assert approvals.may_decide(boss, request)
    run = time_passes(run)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.TIMED_OUT and run.status == RunStatus.SUCCEEDED
    assert [item["timed_out"] for item in run.output_items] == [True, True]
    actions_seen = set(AuditEvent.objects.filter(object_id=str(request.pk)).values_list("action", flat=True))
    assert {"approval.request", "approval.escalate", "approval.time_out"} <= actions_seen


def test_another_tenant_cannot_see_or_decide_an_approval(builder, approver, eager, api, make_org, make_user):
    run = start(builder, publish(builder, approval_doc()), LINES)
    request = ApprovalRequest.objects.get(run=run)
    stranger = make_user("eve", make_org("Globex"), "approver")
    assert api(stranger).get(f"/api/approvals/{request.pk}/").status_code == 404
    assert (
        api(stranger).post(f"/api/approvals/{request.pk}/decide/", {"decision": "approve"}).status_code == 404
    )
    assert api(stranger).get("/api/approvals/").json()["results"] == []


# --- saga -------------------------------------------------------------------------------------------


def test_a_final_failure_undoes_completed_steps_in_reverse_order(builder, eager, endpoint):
    endpoint.route("/fail", lambda n, body: (400, {}, {"error": "refused"}))

    def step(name):
        return node(
            name,
            "http.request",
            {"method": "POST", "url": endpoint.url + f"/{name}"},
            compensation={
                "type": "http.request",
                "config": {"method": "POST", "url": endpoint.url + f"/undo-{name}"},
            },
        )

    doc = document(
        [
            node("t", "trigger.manual"),
            step("a"),
            step("b"),
            node("c", "http.request", {"method": "POST", "url": endpoint.url + "/fail"}),
        ],
        [edge("t", "a"), edge("a", "b"), edge("b", "c")],
    )
    run = start(builder, publish(builder, doc))
    assert run.status == RunStatus.FAILED
    assert run.error["node_id"] == "c" and run.error["saga"] == {"undone": ["b", "a"], "undo_failed": []}
    assert endpoint.started["/undo-b"][0] < endpoint.started["/undo-a"][0]  # reverse order
    assert list(Compensation.objects.filter(run=run).values_list("node_id", "status")) == [
        ("b", "succeeded"),
        ("a", "succeeded"),
    ]
    types = [(e.type, e.node_id) for e in run.events.filter(type__startswith="node.compensat")]
    assert types == [
        ("node.compensating", "b"),
        ("node.compensated", "b"),
        ("node.compensating", "a"),
        ("node.compensated", "a"),
    ]
    # The undo is a side effect with its own idempotency keys.
    assert endpoint.headers["/undo-a"][0]["Idempotency-Key"].endswith("-a~undo-0")


def test_an_undo_that_fails_is_retried_then_reported(builder, eager, endpoint):
    endpoint.route("/undo-a", lambda n, body: (503, {}, {}) if n == 1 else (200, {}, {"undone": True}))
    endpoint.route("/fail", lambda n, body: (400, {}, {}))
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "a",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/a"},
                compensation={
                    "type": "http.request",
                    "config": {"method": "POST", "url": endpoint.url + "/undo-a"},
                    "retry": {"max_attempts": 3, "backoff_s": 0.1},
                },
            ),
            node("c", "http.request", {"method": "POST", "url": endpoint.url + "/fail"}),
        ],
        [edge("t", "a"), edge("a", "c")],
    )
    run = start(builder, publish(builder, doc))
    assert run.status == RunStatus.RUNNING and run.wake_at is not None  # the undo waits to retry
    assert Compensation.objects.get(run=run).status == "retrying"
    Compensation.objects.filter(run=run).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    run = time_passes(run)
    assert run.status == RunStatus.FAILED and run.error["saga"]["undone"] == ["a"]


# --- error flow, categories, rate limits ------------------------------------------------------------


def test_a_final_failure_starts_the_error_flow_with_the_failure(builder, eager, endpoint):
    endpoint.route("/bad", lambda n, body: (404, {}, {"error": "no such customer"}))
    handler = publish(
        builder,
        document([node("t", "trigger.manual"), node("m", "transform.map", {"fields": []})], [edge("t", "m")]),
        name="On failure",
    )
    doc = document(
        [
            node("t", "trigger.manual"),
            node("call", "http.request", {"method": "POST", "url": endpoint.url + "/bad"}),
        ],
        [edge("t", "call")],
    )
    flow = publish(builder, doc, name="Sync", error_flow=handler)
    run = start(builder, flow, [{"customer": "C-9"}])
    assert run.status == RunStatus.FAILED and run.error["category"] == "missing_reference"
    child = Run.objects.get(origin=RunOrigin.ERROR_FLOW)
    assert (
        child.flow_id == handler.pk and child.parent_run_id == run.pk and child.status == RunStatus.SUCCEEDED
    )
    failure = child.input_items[0]
    assert failure["run"]["id"] == run.pk and failure["node"]["id"] == "call"
    assert failure["category"] == "missing_reference" and failure["input_item"] == {"customer": "C-9"}
    with CaptureQueriesContext(connection) as queries:
        assert actions.start_error_flow(run.pk) is None  # once per failed run
    # Only the run's row is locked: locking its flow's row too deadlocked with runs being started on the
    # flow (their foreign-key check takes a share lock on it at commit).
    [lock] = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert lock.endswith('FOR UPDATE OF "execution_run"')


def test_the_organisation_default_error_flow_is_used_and_never_loops(builder, eager, endpoint):
    endpoint.route("/bad", lambda n, body: (400, {}, {}))
    failing = document(
        [
            node("t", "trigger.manual"),
            node("call", "http.request", {"method": "POST", "url": endpoint.url + "/bad"}),
        ],
        [edge("t", "call")],
    )
    publish(builder, failing, name="Default handler", is_default_error_flow=True)  # it fails itself
    run = start(builder, publish(builder, failing, name="Sync"))
    handler_runs = Run.objects.filter(origin=RunOrigin.ERROR_FLOW)
    assert run.status == RunStatus.FAILED and handler_runs.count() == 1
    assert handler_runs.get().status == RunStatus.FAILED  # ...and starts no error flow of its own


def test_failures_are_classified_for_the_inbox():
    from connectors import errors as e
    from flowbuilder.core.errors import NodeError

    assert classify(e.RateLimited("slow down", status=429)) == "rate_limit"
    assert classify(e.AuthError("no", status=401)) == "connection"
    assert classify(e.NotFound("gone", status=404)) == "missing_reference"
    assert classify(e.ConflictError("dup", status=409)) == "duplicate"
    assert classify(e.HTTPStatusError("bad", status=422)) == "refused_value"
    assert classify(e.TransientHTTPError("down", status=502)) == "connection"
    assert classify(NodeError("bad config")) == "validation"
    assert classify(KeyError("x")) == "internal"
    wrapped = NodeError("refused")
    wrapped.__cause__ = e.ConflictError("dup", status=409)
    assert classify(wrapped) == "duplicate"


def test_a_rate_limit_waits_past_the_attempt_count_until_the_system_lets_us_in(builder, eager, endpoint):
    endpoint.route(
        "/busy", lambda n, body: (429, {"Retry-After": "1"}, {}) if n <= 4 else (200, {}, {"ok": n})
    )
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "call",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/busy"},
                retry={"max_attempts": 1},
            ),
        ],
        [edge("t", "call")],
    )
    run = start(builder, publish(builder, doc))
    for _ in range(6):
        if run.status != RunStatus.RUNNING:
            break
        row = NodeRun.objects.get(run=run, node_id="call")
        assert row.status == NodeStatus.RETRYING and row.error["category"] == "rate_limit"
        run = time_passes(run)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.output_items == [{"ok": 5}] and endpoint.calls["/busy"] == 5


def test_a_membership_role_decides_who_may_approve(builder, approver, org, eager):
    run = start(builder, publish(builder, approval_doc(assignee_roles=["approver"])), LINES)
    request = ApprovalRequest.objects.get(run=run)
    assert approvals.may_decide(approver, request) and not approvals.may_decide(builder, request)
    Membership.objects.filter(user=approver).update(role="viewer")
    assert not approvals.may_decide(approver, request)
