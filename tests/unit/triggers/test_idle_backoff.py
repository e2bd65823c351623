"""Idle polling triggers back off: consecutive empty polls lengthen the interval up to a cap, and a poll
that finds records goes back to the trigger's own interval (tests against the sandbox's Kantata)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flowbuilder.execution.models import Run
from flowbuilder.triggers import actions
from flowbuilder.triggers.idle import idle_delay
from flowbuilder.triggers.models import PollingState

pytestmark = pytest.mark.django_db(transaction=True)


def test_idle_delay_grows_with_idle_time_between_interval_and_cap():
    assert idle_delay(60, 0, 900) == 60  # just found something: the trigger's interval
    assert idle_delay(60, 100, 900) == 60
    assert idle_delay(60, 600, 900) == 300  # idle 10 minutes: wait 5
    assert idle_delay(60, 7200, 900) == 900  # the cap
    assert idle_delay(1200, 7200, 900) == 1200  # never below the trigger's own interval
    waits, idle = [], 0.0
    for _ in range(12):  # consecutive empty polls: each wait at least as long as the one before
        wait = idle_delay(60, idle, 900)
        waits.append(wait)
        idle += wait
    assert waits == sorted(waits) and waits[0] == 60 and waits[-1] == 900 and len(set(waits)) > 4


def wait_after_poll(state_id: int) -> tuple[str, float]:
    before = timezone.now()
    outcome = actions.poll_trigger(state_id)
    state = PollingState.objects.get(pk=state_id)
    return outcome.status, (state.next_poll_at - before).total_seconds()


def test_empty_polls_back_off_and_a_found_record_resets(
    polling_flow, kantata_runtime, workspace, eager, settings
):
    settings.FLOWBUILDER_POLL_IDLE_CAP_S = 900
    flow = polling_flow(interval_s=60)
    state = PollingState.objects.get(flow=flow)
    status, wait = wait_after_poll(state.pk)  # the first poll sets the starting point
    assert status == "empty" and 55 <= wait <= 65

    PollingState.objects.filter(pk=state.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    status, wait = wait_after_poll(state.pk)
    assert status == "empty" and 590 <= wait <= 610  # idle 20 minutes: half of it

    PollingState.objects.filter(pk=state.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert 890 <= wait_after_poll(state.pk)[1] <= 905  # capped

    kantata_runtime.run_action(
        "create_time_entry",
        {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 15},
    )
    status, wait = wait_after_poll(state.pk)
    assert status == "run" and 55 <= wait <= 65  # found: back to the interval
    last_run = Run.objects.get(pk=PollingState.objects.get(pk=state.pk).last_run_id)
    Run.objects.filter(pk=last_run.pk).update(created_at=timezone.now() - timedelta(minutes=4))
    status, wait = wait_after_poll(state.pk)
    assert status == "empty" and 115 <= wait <= 125  # idle since that run (4 min): 2 min


@pytest.mark.settling
def test_a_record_held_until_it_settles_is_polled_again_at_the_interval_not_after_the_idle_wait(
    polling_flow, kantata_runtime, workspace, eager, settings
):
    settings.FLOWBUILDER_POLL_IDLE_CAP_S = 900
    flow = polling_flow(interval_s=60)
    state = PollingState.objects.get(flow=flow)
    wait_after_poll(state.pk)  # the starting point
    PollingState.objects.filter(pk=state.pk).update(created_at=timezone.now() - timedelta(hours=3))
    kantata_runtime.run_action(
        "create_time_entry",
        {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 15},
    )
    status, wait = wait_after_poll(state.pk)  # the entry is a fraction of a second old: held
    assert status == "empty" and 55 <= wait <= 65  # not the 15 minutes of an idle trigger
    assert not Run.objects.filter(flow=flow).exists()
