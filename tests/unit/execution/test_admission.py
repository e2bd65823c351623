"""Fair sharing: runs beyond an organisation's share (or a flow's limit) wait queued in the database and
are admitted in order as others end; critical flows jump the broker's queue."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flowbuilder.execution import actions, admission, dispatch
from flowbuilder.execution.durability import sweep
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rung(monkeypatch):
    """The doorbells rung (no broker, no worker: runs stay queued or running as the test sets them)."""
    calls: list[dict] = []
    monkeypatch.setattr(
        dispatch,
        "_send",
        lambda name, args, countdown=None, priority=None: calls.append(
            {"task": name, "run": args[0], "priority": priority}
        ),
    )
    return calls


@pytest.fixture
def small_share(settings):
    settings.FLOWBUILDER_ORG_ACTIVE_RUNS = 2


def flow_of(user, name="f", **fields):
    org = user.memberships.first().organisation
    doc = document(
        [node("t", "trigger.manual"), node("m", "transform.map", {"fields": []})], [edge("t", "m")]
    )
    flow = flow_actions.create_flow(actor=user, organisation=org, name=name, document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    for key, value in fields.items():
        setattr(flow, key, value)
    flow.save()
    return flow


def start(flow, n=1):
    return [actions.start_run(actor=None, flow=flow, input_items=[{"i": i}]) for i in range(n)]


def finish(run):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now())


def test_a_flood_waits_for_its_share_and_another_organisation_goes_first(
    make_org, make_user, rung, small_share
):
    flood = flow_of(make_user("a", make_org("A"), "admin"))
    other = flow_of(make_user("b", make_org("B"), "admin"))
    runs = start(flood, 5)
    dispatched = [r.pk for r in Run.objects.filter(flow=flood, dispatched_at__isnull=False).order_by("id")]
    assert dispatched == [r.pk for r in runs[:2]] and [c["run"] for c in rung] == dispatched
    held = Run.objects.get(pk=runs[2].pk)
    assert held.status == RunStatus.QUEUED and held.events.get().payload["waiting_for"]
    (b_run,) = start(other)
    assert rung[-1]["run"] == b_run.pk  # not behind A's backlog
    # The sweeper admits nothing while A's share is taken, and never calls a held run stale.
    assert sweep()["admitted_runs"] == 0 and sweep()["resumed_runs"] == 0
    finish(runs[0])
    assert admission.admit_queued(flood.organisation_id) == 1
    assert rung[-1]["run"] == runs[2].pk  # oldest first


def test_a_flow_limit_of_one_never_overlaps(make_org, make_user, rung):
    flow = flow_of(make_user("a", make_org("A"), "admin"), max_concurrent_runs=1)
    first, second = start(flow, 2)
    assert [c["run"] for c in rung] == [first.pk]
    Run.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
    assert admission.admit_queued() == 0
    finish(first)
    assert admission.admit_queued() == 1 and rung[-1]["run"] == second.pk


def test_critical_flows_are_taken_first_from_the_broker(make_org, make_user, rung):
    user = make_user("a", make_org("A"), "admin")
    start(flow_of(user, "low", criticality="low"))
    start(flow_of(user, "critical", criticality="critical"))
    start(flow_of(user, "normal"))
    assert [c["priority"] for c in rung] == [9, 0, 6]


def park(run, *, due=True):
    """The run waits (a timer, a person, a callback) holding no worker; due: its wake-up time has come."""
    wake = timezone.now() - timezone.timedelta(seconds=1) if due else None
    Run.objects.filter(pk=run.pk).update(status=RunStatus.WAITING, wake_at=wake)


def test_a_woken_parked_run_waits_for_its_share_like_a_queued_one(make_org, make_user, rung, small_share):
    flow = flow_of(make_user("a", make_org("A"), "admin"))
    parked, busy_one, busy_two = start(flow, 3)
    park(parked)
    Run.objects.filter(pk__in=[busy_one.pk, busy_two.pk]).update(
        status=RunStatus.RUNNING, dispatched_at=timezone.now()
    )
    rung.clear()
    # Due, but both of A's slots are taken: the sweeper leaves it parked and due.
    assert sweep()["woken_runs"] == 0 and rung == []
    assert Run.objects.get(pk=parked.pk).status == RunStatus.WAITING
    finish(busy_one)
    assert admission.wake_due(flow.organisation_id) == 1
    woken = Run.objects.get(pk=parked.pk)
    assert woken.status == RunStatus.RUNNING and woken.wake_at is None and rung[-1]["run"] == parked.pk


def test_a_running_runs_backoff_wakes_even_when_the_share_is_taken(make_org, make_user, rung, small_share):
    flow = flow_of(make_user("a", make_org("A"), "admin"))
    retrying, other = start(flow, 2)
    Run.objects.filter(pk__in=[retrying.pk, other.pk]).update(
        status=RunStatus.RUNNING, dispatched_at=timezone.now()
    )
    Run.objects.filter(pk=retrying.pk).update(wake_at=timezone.now() - timezone.timedelta(seconds=1))
    rung.clear()
    assert admission.wake_due() == 1 and rung[-1]["run"] == retrying.pk  # it holds its own slot


def test_parked_runs_wake_before_queued_ones_are_admitted(make_org, make_user, rung, small_share):
    flow = flow_of(make_user("a", make_org("A"), "admin"))
    parked, running, queued = start(flow, 3)
    park(parked)
    Run.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING, dispatched_at=timezone.now())
    Run.objects.filter(pk=queued.pk).update(dispatched_at=None)
    rung.clear()
    result = sweep()
    assert result["woken_runs"] == 1 and result["admitted_runs"] == 0  # the one free slot went to it
    assert [c["run"] for c in rung] == [parked.pk]


def test_a_doorbell_for_a_parked_run_without_room_leaves_it_parked(make_org, make_user, rung, small_share):
    from flowbuilder.execution.engine import Engine

    flow = flow_of(make_user("a", make_org("A"), "admin"))
    parked, busy_one, busy_two = start(flow, 3)
    park(parked)
    Run.objects.filter(pk__in=[busy_one.pk, busy_two.pk]).update(
        status=RunStatus.RUNNING, dispatched_at=timezone.now()
    )
    Engine(parked.pk).drive()
    still = Run.objects.get(pk=parked.pk)
    assert still.status == RunStatus.WAITING and still.wake_at is not None  # the sweeper wakes it later


def test_a_webhook_reads_its_flow_and_the_organisations_live_runs_in_one_query(
    make_org, make_user, rung, small_share
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from flowbuilder.triggers import webhooks
    from tests.support.documents import webhook_document

    user = make_user("w", make_org("W"), "admin")
    org = user.memberships.first().organisation
    flow = flow_actions.create_flow(actor=user, organisation=org, name="hook", document=webhook_document())
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    runs = []
    for i in range(3):
        with CaptureQueriesContext(connection) as queries:
            runs.append(webhooks.accept(flow.webhook_token, b'{"i": %d}' % i, "application/json", {}, {}).run)
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert len(counts) == 1 and "flows_flow" in counts[0]  # the count rode on the flow's query
    assert [c["run"] for c in rung] == [runs[0].pk, runs[1].pk]  # the share is 2: the third waits
    held = Run.objects.get(pk=runs[2].pk)
    assert held.dispatched_at is None and held.events.get().payload["waiting_for"]
