"""Polling triggers against the sandbox: publish creates the cursor row, polls start one run per batch of
new records, the cursor advances with the run (atomically), failures back off and never raise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.triggers import actions, tasks
from flowbuilder.triggers.models import PollingState, TriggerKind
from flowbuilder.triggers.schedule import trigger_specs
from tests.support.documents import document, node

pytestmark = pytest.mark.django_db(transaction=True)


def _entries(kantata_runtime, workspace, n: int) -> list[str]:
    base = {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 30}
    return [str(kantata_runtime.run_action("create_time_entry", base)["id"]) for _ in range(n)]


def _due_now(state: PollingState) -> None:
    PollingState.objects.filter(pk=state.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_publish_creates_one_state_per_polling_trigger(polling_flow):
    flow = polling_flow(interval_s=30)
    state = PollingState.objects.get(flow=flow)
    assert (state.node_id, state.kind, state.node_type) == (
        "poll",
        TriggerKind.POLL,
        "psa.kantata.record_updated",
    )
    assert state.interval_s == 30 and state.cursor is None and state.enabled
    assert state.next_poll_at <= timezone.now()  # a new trigger polls at once to set its starting point


def test_polls_start_one_run_per_batch_no_gaps_no_duplicates(polling_flow, kantata_runtime, workspace, eager):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    first = actions.poll_trigger(state.pk)
    assert first.status == "empty" and not Run.objects.filter(flow=flow).exists()
    state.refresh_from_db()
    assert state.cursor and state.generation == 1 and state.next_poll_at > timezone.now()

    made = _entries(kantata_runtime, workspace, 3)
    second = actions.poll_trigger(state.pk)
    assert second.status == "run" and second.items == 3
    run = Run.objects.get(pk=second.run_id)
    assert run.origin == "schedule" and run.status == RunStatus.SUCCEEDED
    assert sorted(str(i["id"]) for i in run.input_items) == sorted(made)
    assert all(i["seen"] for i in run.output_items)

    assert actions.poll_trigger(state.pk).status == "empty"  # nothing new: no run
    more = _entries(kantata_runtime, workspace, 2)
    third = actions.poll_trigger(state.pk)
    assert sorted(str(i["id"]) for i in Run.objects.get(pk=third.run_id).input_items) == sorted(more)
    state.refresh_from_db()
    assert state.runs_started == 2 and state.last_run_id == third.run_id
    assert Run.objects.filter(flow=flow).count() == 2


def test_a_crash_before_the_run_commits_keeps_the_cursor(
    polling_flow, kantata_runtime, workspace, eager, monkeypatch
):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)
    state.refresh_from_db()
    cursor, generation = state.cursor, state.generation
    made = _entries(kantata_runtime, workspace, 2)

    def crash(**kwargs):
        raise RuntimeError("worker died while creating the run")

    start_run = actions.start_run
    monkeypatch.setattr(actions, "start_run", crash)
    outcome = actions.poll_trigger(state.pk)
    assert outcome.status == "failed" and "RuntimeError" in outcome.error
    state.refresh_from_db()
    assert (state.cursor, state.generation) == (cursor, generation)  # not advanced without its run
    assert state.consecutive_failures == 1 and "RuntimeError" in state.last_error
    assert not Run.objects.filter(flow=flow).exists()

    monkeypatch.setattr(actions, "start_run", start_run)
    again = actions.poll_trigger(state.pk)  # the same records come back, exactly once
    assert sorted(str(i["id"]) for i in Run.objects.get(pk=again.run_id).input_items) == sorted(made)
    state.refresh_from_db()
    assert state.consecutive_failures == 0 and state.last_error == ""


def test_a_poll_from_a_stale_cursor_commits_nothing(polling_flow, kantata_runtime, workspace, eager):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)
    state.refresh_from_db()
    _entries(kantata_runtime, workspace, 1)
    spec = trigger_specs(flow.published_version.document)[0]
    found = actions._fetch(state, spec, timezone.now())
    # Two polls (a redelivered task, an expired lease) fetched the same records from one cursor.
    one = actions._commit(state.pk, state.generation, spec, found, timezone.now())
    two = actions._commit(state.pk, state.generation, spec, found, timezone.now())
    assert (one.status, two.status) == ("run", "stale")
    assert Run.objects.filter(flow=flow).count() == 1


def test_a_poll_in_flight_when_paused_commits_nothing_and_resume_catches_up(
    polling_flow, kantata_runtime, workspace, eager, admin
):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)
    state.refresh_from_db()
    made = _entries(kantata_runtime, workspace, 2)
    spec = trigger_specs(flow.published_version.document)[0]
    found = actions._fetch(state, spec, timezone.now())  # the poll has read the records...
    actions.pause_trigger(actor=admin, state=state)  # ...when an operator pauses the trigger
    outcome = actions._commit(state.pk, state.generation, spec, found, timezone.now())
    assert outcome.status == "stale" and not Run.objects.filter(flow=flow).exists()
    assert actions.poll_trigger(state.pk).status == "disabled"  # paused: not polled at all

    actions.resume_trigger(actor=admin, state=state)
    resumed = actions.poll_trigger(state.pk)
    assert sorted(str(i["id"]) for i in Run.objects.get(pk=resumed.run_id).input_items) == sorted(made)


def test_remote_errors_are_recorded_and_backed_off(polling_flow, sandbox, eager):
    flow = polling_flow(interval_s=10)
    state = PollingState.objects.get(flow=flow)
    sandbox.fault("kantata", path_prefix="/api/v1/time_entries", kind="status", status=400, count=5)
    try:
        delays = []
        for failures in (1, 2):
            before = timezone.now()
            assert actions.poll_trigger(state.pk).status == "failed"
            state.refresh_from_db()
            assert state.consecutive_failures == failures and state.last_error
            delays.append((state.next_poll_at - before).total_seconds())
        assert 8 <= delays[0] <= 12 and 17 <= delays[1] <= 23  # the interval, then doubled (+-10%)
        assert state.cursor is None and not Run.objects.filter(flow=flow).exists()
    finally:
        sandbox.clear_faults()


def test_a_missing_connection_is_an_error_not_a_crash(admin, org, eager):
    trigger = node(
        "poll", "psa.kantata.record_updated", {"connection": "conn_999999", "collection": "time_entries"}
    )
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name="broken", document=document([trigger], [])
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    state = PollingState.objects.get(flow=flow)
    outcome = actions.poll_trigger(state.pk)
    assert outcome.status == "failed" and "not found" in outcome.error


def test_claim_due_leases_each_trigger_once(polling_flow):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    assert actions.claim_due() == [state.pk]
    assert actions.claim_due() == []  # leased: the next tick does not poll it again
    state.refresh_from_db()
    assert state.next_poll_at > timezone.now() + timedelta(seconds=60)


def test_poll_due_task_polls_due_triggers(polling_flow, kantata_runtime, workspace, eager):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    assert tasks.poll_due() == 1  # sets the starting point
    _entries(kantata_runtime, workspace, 2)
    assert tasks.poll_due() == 0  # not due yet
    _due_now(state)
    assert tasks.poll_due() == 1
    assert Run.objects.get(flow=flow).input_items.__len__() == 2


def test_republish_keeps_or_resets_the_cursor(polling_flow, admin, workspace, eager):
    flow = polling_flow(interval_s=60)
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)
    state.refresh_from_db()
    cursor = state.cursor

    doc = flow.published_version.document
    doc["nodes"][0]["config"]["interval_s"] = 120
    flow_actions.publish_flow(actor=admin, flow=flow, document=doc)
    state.refresh_from_db()
    assert state.cursor == cursor and state.interval_s == 120  # only the interval changed

    doc["nodes"][0]["config"]["max_records"] = 5
    flow_actions.publish_flow(actor=admin, flow=flow, document=doc)
    state.refresh_from_db()
    assert state.cursor is None  # what is polled changed: start from scratch

    doc["nodes"][0]["type"] = "trigger.manual"
    doc["nodes"][0]["config"] = {}
    flow_actions.publish_flow(actor=admin, flow=flow, document=doc)
    assert not PollingState.objects.filter(flow=flow).exists()


def test_a_timed_flow_never_overlaps_itself(admin, org):
    doc = document(
        [node("s", "trigger.schedule", {"mode": "interval", "interval_s": 60}), node("n", "flow.noop")],
        [{"id": "e", "source": "s", "source_port": "main", "target": "n", "target_port": "main"}],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="billing", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    state = PollingState.objects.get(flow=flow)
    first = actions.poll_trigger(state.pk)
    assert first.status == "run"
    _due_now(state)
    assert actions.poll_trigger(state.pk).status == "empty"  # the first run is still queued
    assert Run.objects.filter(flow=flow).count() == 1
    Run.objects.filter(pk=first.run_id).update(status=RunStatus.SUCCEEDED)
    _due_now(state)
    assert actions.poll_trigger(state.pk).status == "run"
