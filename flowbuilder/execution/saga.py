"""The saga: when a run fails finally, undo what its completed steps did, in reverse order.

A node may declare ``compensation`` (a node type and config, e.g. a connector's delete or void action).
When a later node fails for good and nothing else of the run is in flight, the engine asks :func:`next_undo`
which step to undo next: the succeeded step with a compensation that finished last. Each undo runs like a
side-effect node (the original step's output items are its input, its idempotency keys are its own,
retries wait in the database), and its state is a :class:`Compensation` row the run view shows. Once every
undo succeeded or failed finally, the run fails with the saga's summary in its error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models.functions import Now
from django.utils import timezone

from flowbuilder.core.item_spool import plain
from flowbuilder.planning import ExecutionPlan, NodeSpec

from .models import Compensation, CompensationStatus, NodeRun, NodeStatus
from .outcome import Outcome

TODO_PREFIX = "~undo:"  # marks an undo in the engine's work list (never a valid node id)
DEFAULT_UNDO_RETRY = {"max_attempts": 5, "backoff_s": 5.0}


@dataclass(frozen=True)
class NextUndo:
    node_id: str | None = None  # undo this now
    wake_at: datetime | None = None  # or wait for a retry until then
    done: bool = False  # nothing (left) to undo


def declares_undo(plan: ExecutionPlan) -> bool:
    return any(spec.compensation for spec in plan.nodes.values())


def undo_spec(plan: ExecutionPlan, node_id: str) -> NodeSpec:
    compensation = plan.nodes[node_id].compensation or {}
    return NodeSpec(
        type=compensation["type"],
        label=f"Undo {plan.nodes[node_id].label or node_id}",
        config=dict(compensation.get("config") or {}),
        retry={**DEFAULT_UNDO_RETRY, **(compensation.get("retry") or {})},
        on_error="fail",
    )


def start(run_id: int, plan: ExecutionPlan) -> None:
    """Create the undo rows once: succeeded steps with a compensation, the last finished first."""
    if Compensation.objects.filter(run_id=run_id).exists():
        return
    done = (
        NodeRun.objects.filter(run_id=run_id, status=NodeStatus.SUCCEEDED)
        .exclude(error__skipped_by_operator=True)
        .order_by("-finished_at", "-id")
        .values_list("node_id", flat=True)
    )
    undoable = [nid for nid in done if nid in plan.nodes and plan.nodes[nid].compensation]
    Compensation.objects.bulk_create(
        [Compensation(run_id=run_id, node_id=nid, order=i) for i, nid in enumerate(undoable)],
        ignore_conflicts=True,
    )


def next_undo(run_id: int, plan: ExecutionPlan) -> NextUndo:
    start(run_id, plan)
    rows = list(Compensation.objects.filter(run_id=run_id).order_by("order"))
    for row in rows:
        if row.status in (CompensationStatus.SUCCEEDED, CompensationStatus.FAILED):
            continue
        if (
            row.status == CompensationStatus.RETRYING
            and row.next_attempt_at
            and row.next_attempt_at > timezone.now()
        ):
            return NextUndo(wake_at=row.next_attempt_at)  # strictly in order: the next waits for this one
        return NextUndo(node_id=row.node_id)  # pending, due retry, or left running by a dead worker
    return NextUndo(done=True)


def claim(run_id: int, node_id: str) -> int:
    """Mark the undo running; returns its attempt number."""
    row = Compensation.objects.get(run_id=run_id, node_id=node_id)
    row.attempt += 1
    row.status = CompensationStatus.RUNNING
    row.started_at = row.started_at or timezone.now()
    row.save(update_fields=["attempt", "status", "started_at"])
    return row.attempt


def record(run_id: int, node_id: str, outcome: Outcome) -> str:
    """Store an undo's outcome; returns the new status."""
    if outcome.status == NodeStatus.SUCCEEDED:
        status = CompensationStatus.SUCCEEDED
    elif outcome.status == NodeStatus.RETRYING:
        status = CompensationStatus.RETRYING
    else:
        status = CompensationStatus.FAILED
    values: dict[str, Any] = {"status": status, "error": outcome.error}
    if status == CompensationStatus.RETRYING:
        values["next_attempt_at"] = Now() + timedelta(seconds=outcome.retry_in_s or 0)
    else:
        values.update(output_items=plain(outcome.outputs), finished_at=timezone.now(), next_attempt_at=None)
    Compensation.objects.filter(run_id=run_id, node_id=node_id).update(**values)
    return status


def summary(run_id: int) -> dict[str, list[str]]:
    """What the saga undid and what it could not (shown in the failed run's error)."""
    rows = Compensation.objects.filter(run_id=run_id).order_by("order").values_list("node_id", "status")
    return {
        "undone": [nid for nid, status in rows if status == CompensationStatus.SUCCEEDED],
        "undo_failed": [nid for nid, status in rows if status == CompensationStatus.FAILED],
    }
