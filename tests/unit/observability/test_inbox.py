"""The failure inbox on real PostgreSQL with eager tasks: the engine writes failures where runs and items
fail, the inbox groups them, and every bulk action leaves each failure handled exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flowbuilder.audit.models import AuditEvent
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.execution import actions
from flowbuilder.execution.models import FailureKind, FailureRecord, FailureState, Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import inbox, inbox_actions
from flowbuilder.observability.inbox_models import BatchStatus, InboxBatch
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(make_org, make_user):
    return make_user("ops", make_org("Acme"), "admin")


def org_of(user):
    return user.memberships.first().organisation


def http_doc(url: str, on_error: str = "fail") -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("call", "http.request", {"method": "POST", "url": url}, on_error=on_error),
            node("after", "transform.map", {"fields": [{"name": "seen", "value": "{{ true }}"}]}),
        ],
        [edge("t", "call"), edge("call", "after")],
    )


def publish(user, doc, name="f"):
    return published_flow(user, org_of(user), name, doc)


def start(user, flow, items):
    run = actions.start_run(actor=user, flow=flow, input_items=items)
    run.refresh_from_db()
    return run


@pytest.fixture
def gate(endpoint):
    """/call answers 400 ("refused") until opened, then 200."""
    state = {"open": False}
    endpoint.route("/call", lambda n, body: (200, {}, {"ok": True}) if state["open"] else (400, {}, {}))
    return state


def test_engine_stores_item_failures_of_a_run_that_carried_on_and_failed_runs(admin, eager, endpoint, gate):
    carried = start(
        admin, publish(admin, http_doc(endpoint.url + "/call", "continue")), [{"id": i} for i in range(3)]
    )
    failed = start(admin, publish(admin, http_doc(endpoint.url + "/call"), "g"), [{"id": 9}])
    assert carried.status == RunStatus.SUCCEEDED and failed.status == RunStatus.FAILED
    items = FailureRecord.objects.filter(run=carried).order_by("item_index")
    assert [(f.kind, f.node_id, f.item_index, f.item) for f in items] == [
        (FailureKind.ITEM, "call", i, {"id": i}) for i in range(3)
    ]
    assert {f.category for f in items} == {"refused_value"}
    [whole] = FailureRecord.objects.filter(run=failed)
    assert (whole.kind, whole.node_id, whole.category, whole.state) == (
        "run",
        "call",
        "refused_value",
        "open",
    )


def test_groups_by_category_flow_node_and_customer_with_next_step(admin, eager, endpoint, gate, make_org):
    org = org_of(admin)
    start(admin, publish(admin, http_doc(endpoint.url + "/call", "continue")), [{"id": 1}, {"id": 2}])
    endpoint.route("/auth", lambda n, body: (401, {}, {"error": "expired"}))
    start(admin, publish(admin, http_doc(endpoint.url + "/auth"), "down"), [{"id": 3}])
    data = inbox.groups([org.pk], by="category")
    assert data["total"] == 3
    by_key = {g["key"]: g for g in data["groups"]}
    assert by_key["category:refused_value"]["count"] == 2 and by_key["category:refused_value"]["items"] == 2
    assert "fix the mapping" in by_key["category:refused_value"]["next_step"]
    assert by_key["category:connection"]["runs"] == 1
    flows = inbox.groups([org.pk], by="flow")["groups"]
    assert sorted(g["label"] for g in flows) == ["down", "f"]
    nodes = inbox.groups([org.pk], by="node")["groups"]
    assert all(g["key"].endswith(":call") for g in nodes)
    assert inbox.groups([org.pk], by="customer")["groups"][0]["label"] == "Acme"
    other = make_org("Other")
    assert inbox.groups([other.pk], by="category")["total"] == 0
    # A group key lists exactly its failures.
    assert inbox.failures([org.pk], group="category:connection").count() == 1


def test_bulk_retry_of_items_and_runs_once_per_run_and_redelivery_changes_nothing(
    admin, eager, endpoint, gate
):
    flow = publish(admin, http_doc(endpoint.url + "/call", "continue"))
    carried = start(admin, flow, [{"id": i} for i in range(4)])
    strict = publish(admin, http_doc(endpoint.url + "/call"), "strict")
    failed = [start(admin, strict, [{"id": 10 + i}]) for i in range(3)]
    ids = list(FailureRecord.objects.values_list("pk", flat=True))
    assert len(ids) == 7
    gate["open"] = True
    calls_before = endpoint.calls["/call"]
    batch = inbox_actions.start_batch(
        actor=admin, organisation=org_of(admin), action="retry", failure_ids=ids
    )
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total, batch.succeeded, batch.new_runs) == (
        BatchStatus.DONE,
        7,
        7,
        7,
        4,
    )
    # One new run per run, each succeeded, resuming at the failed node; 4 + 3 items sent again, once each.
    retries = Run.objects.filter(replay_of__in=[carried, *failed])
    assert retries.count() == 4 and set(retries.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    assert endpoint.calls["/call"] - calls_before == 7
    assert FailureRecord.objects.filter(state=FailureState.OPEN).count() == 0
    assert set(FailureRecord.objects.filter(run=carried).values_list("follow_up_run", flat=True)) == {
        retries.get(replay_of=carried).pk
    }
    # A redelivered task finds everything handled: no new run, no call.
    InboxBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    inbox_actions.run_batch(batch.pk)
    assert Run.objects.filter(replay_of__isnull=False).count() == 4
    assert endpoint.calls["/call"] - calls_before == 7
    assert AuditEvent.objects.filter(action="inbox.bulk").count() == 1
    assert AuditEvent.objects.filter(action="run.retry").count() == 4


def test_replay_on_the_current_version_skip_cancel_and_resolve(admin, eager, endpoint, gate):
    flow = publish(admin, http_doc(endpoint.url + "/call"))
    runs = [start(admin, flow, [{"id": i}]) for i in range(4)]
    # The fix: a new published version whose call goes to a working path.
    endpoint.route("/fixed", lambda n, body: (200, {}, {"fixed": True}))
    flow_actions.publish_flow(actor=admin, flow=flow, document=http_doc(endpoint.url + "/fixed"))
    flow.refresh_from_db()
    failure = {r.pk: FailureRecord.objects.get(run=r).pk for r in runs}
    org = org_of(admin)

    inbox_actions.start_batch(
        actor=admin, organisation=org, action="replay_current", failure_ids=[failure[runs[0].pk]]
    )
    replay = Run.objects.get(replay_of=runs[0])
    assert replay.version_id == flow.published_version_id and replay.status == RunStatus.SUCCEEDED

    inbox_actions.start_batch(
        actor=admin, organisation=org, action="replay_original", failure_ids=[failure[runs[1].pk]]
    )
    original = Run.objects.get(replay_of=runs[1])
    assert original.version_id == runs[1].version_id and original.status == RunStatus.FAILED

    inbox_actions.start_batch(actor=admin, organisation=org, action="skip", failure_ids=[failure[runs[2].pk]])
    skipped = Run.objects.get(replay_of=runs[2])
    assert skipped.status == RunStatus.SUCCEEDED and endpoint.calls["/fixed"] == 1

    inbox_actions.start_batch(
        actor=admin, organisation=org, action="cancel", failure_ids=[failure[runs[3].pk]]
    )
    assert not Run.objects.filter(replay_of=runs[3]).exists()
    resolutions = dict(FailureRecord.objects.filter(run__in=runs).values_list("run_id", "resolution"))
    assert resolutions == {
        runs[0].pk: "replayed",
        runs[1].pk: "replayed",
        runs[2].pk: "skipped",
        runs[3].pk: "cancelled",
    }
    # The replay on the original version failed again: a new open failure, for the new run.
    assert FailureRecord.objects.get(state="open").run_id == original.pk


def test_triage_assign_snooze_comment_resolve_are_audited_and_checked(
    admin, eager, endpoint, gate, make_user, make_org
):
    start(admin, publish(admin, http_doc(endpoint.url + "/call")), [{"id": 1}])
    failure = FailureRecord.objects.get()
    org = org_of(admin)
    viewer = make_user("val", org, "viewer")
    stranger = make_user("eve", make_org("Elsewhere"), "admin")
    inbox_actions.assign_failure(actor=admin, failure=failure, assignee_id=viewer.pk)
    with pytest.raises(InvalidInputError):
        inbox_actions.assign_failure(actor=admin, failure=failure, assignee_id=stranger.pk)
    with pytest.raises(PermissionDeniedError):
        inbox_actions.resolve_failure(actor=viewer, failure=failure)
    inbox_actions.comment_on_failure(actor=admin, failure=failure, body="Looking at it")
    inbox_actions.snooze_failure(actor=admin, failure=failure, until=timezone.now() + timedelta(hours=1))
    assert inbox.failures([org.pk]).count() == 0
    assert inbox.failures([org.pk], state="snoozed").count() == 1
    FailureRecord.objects.filter(pk=failure.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))
    assert inbox.failures([org.pk]).count() == 1  # the snooze ran out: back in the open inbox
    inbox_actions.resolve_failure(actor=admin, failure=failure)
    assert inbox.failures([org.pk], state="resolved").get().assignee_id == viewer.pk
    assert list(
        AuditEvent.objects.filter(action__startswith="inbox.").values_list("action", flat=True).order_by("id")
    ) == [
        "inbox.assign",
        "inbox.comment",
        "inbox.snooze",
        "inbox.resolve",
    ]


def test_exceptions_a_flow_raises_land_in_the_inbox_grouped_by_category_with_what_to_fix(admin, eager):
    """A succeeded run whose items ended as exceptions (the exception node, or plan_invoices' exceptions
    port) leaves one inbox record per item, under the item's own category."""
    doc = document(
        [
            node("t", "trigger.manual"),
            node("ok", "transform.filter", {"condition": "$item.vat = true"}),
            node(
                "setup",
                "flow.exception",
                {
                    "category": "billing_setup",
                    "problem": "{{ 'Customer ' & $item.id & ' has no tax registration.' }}",
                    "what_to_fix": "Add the VAT number in the ERP, then replay.",
                },
            ),
        ],
        [edge("t", "ok"), edge("ok", "setup", "rejected")],
    )
    run = start(admin, publish(admin, doc), [{"id": 1, "vat": True}, {"id": 2}, {"id": 3, "vat": False}])
    assert run.status == RunStatus.SUCCEEDED
    records = list(FailureRecord.objects.filter(run=run).order_by("item_index"))
    assert [(r.kind, r.node_id, r.category, r.item["id"]) for r in records] == [
        ("item", "setup", "billing_setup", 2),
        ("item", "setup", "billing_setup", 3),
    ]
    assert records[0].message == (
        "Customer 2 has no tax registration. What to fix: Add the VAT number in the ERP, then replay."
    )
    grouped = inbox.groups([org_of(admin).pk])
    [group] = grouped["groups"]
    assert (group["key"], group["count"]) == ("category:billing_setup", 2)
    assert "billing setup" in group["next_step"]
