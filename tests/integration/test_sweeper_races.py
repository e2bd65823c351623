"""Two sweepers at once (beat fires every interval; a backlog of sweep tasks runs in parallel on a
prefork worker) on real PostgreSQL: a dead worker's node is fenced once and the run is counted as
delivered once, whichever sweeper gets there first.

Each sweeper runs in its own thread with its own database connection; sweeper A holds its transaction
open until sweeper B is blocked on a lock A holds, so the interleaving is the same on every run.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.durability import sweep
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import chain
from tests.support.live_stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def stale_run(make_org: Any, make_user: Any) -> Run:
    org = make_org("Customer A")
    user = make_user("alice", org, "builder")
    flow = flow_actions.create_flow(
        actor=user, organisation=org, name="f", document=chain(1, "trigger.manual")
    )
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    run = run_actions.start_run(actor=user, flow=flow, input_items=[{"n": 0}])
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=None, created_at=timezone.now() - timedelta(minutes=5)
    )
    return run


def blocked_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def race_two_sweepers() -> tuple[dict, dict]:
    """Sweeper A sweeps inside a transaction and commits only once sweeper B waits on A's locks."""
    results: dict[str, dict] = {}
    errors: list[BaseException] = []
    a_swept, release = threading.Event(), threading.Event()

    def sweeper_a() -> None:
        try:
            with transaction.atomic():
                results["a"] = sweep()
                a_swept.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            a_swept.set()
        finally:
            connection.close()

    def sweeper_b() -> None:
        try:
            results["b"] = sweep()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=sweeper_a)
    a.start()
    assert a_swept.wait(10)
    b = threading.Thread(target=sweeper_b)
    b.start()
    try:
        wait_until(blocked_on_lock, 10, "sweeper B never waited for sweeper A's locks")
    finally:
        release.set()
        a.join(10)
        b.join(10)
    assert not errors, errors
    return results["a"], results["b"]


def test_a_dead_workers_node_is_fenced_once(make_org: Any, make_user: Any) -> None:
    run = stale_run(make_org, make_user)
    row = NodeRun.objects.create(
        run=run, node_id="m0", status=NodeStatus.RUNNING, claim_token=7, heartbeat_at=None, attempt=1
    )

    a, b = race_two_sweepers()

    row.refresh_from_db()
    assert a["fenced_nodes"] == 1
    assert b["fenced_nodes"] == 0, f"the node was fenced twice: {a} then {b}"
    assert row.status == NodeStatus.RETRYING and row.claim_token == 8
    run.refresh_from_db()
    assert run.deliveries == 1


def test_a_stale_run_is_counted_as_delivered_once(make_org: Any, make_user: Any) -> None:
    # A run whose doorbell was lost: no node started yet, nothing to fence, only the run to resume.
    run = stale_run(make_org, make_user)

    a, b = race_two_sweepers()

    assert a["resumed_runs"] == 1
    assert b["resumed_runs"] == 0, f"the run was resumed twice: {a} then {b}"
    run.refresh_from_db()
    assert run.deliveries == 1
