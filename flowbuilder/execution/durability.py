"""The sweeper and the delivery cap: how runs survive dead workers and lost messages.

A run is stale when nothing has stamped its heartbeat for FLOWBUILDER_STALE_AFTER_S (a NULL heartbeat
counts from the run's creation). Node claims whose heartbeat went stale are fenced (their token moves on,
so a zombie's late write cannot land) and queued for another attempt; the run is re-enqueued. A run
delivered more than FLOWBUILDER_MAX_DELIVERIES times is poison: it fails and waits for an operator.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from . import admission, dispatch
from .events import append_event
from .models import ACTIVE_RUN, CLAIMED_NODE, EventType, NodeRun, NodeStatus, Run, RunOrigin, RunStatus
from .publish import publish_run_events

log = logging.getLogger(__name__)

# Runs a worker is (or should be) working on: a stale heartbeat means the worker died.
WORKED_RUN = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


def _cutoff():
    return Now() - timedelta(seconds=settings.FLOWBUILDER_STALE_AFTER_S)


def sweep() -> dict[str, int]:
    # No join here: with ``run__status`` Django wraps every condition in a ``pk IN (subquery)``, which
    # PostgreSQL does not re-check against a row another sweeper fenced meanwhile (fenced twice).
    active_runs = Run.objects.filter(status__in=list(ACTIVE_RUN)).values("pk")
    fenced = (
        NodeRun.objects.filter(run_id__in=active_runs, status__in=list(CLAIMED_NODE))
        .filter(Q(heartbeat_at__lt=_cutoff()) | Q(heartbeat_at__isnull=True))
        .update(
            status=NodeStatus.RETRYING,
            claim_token=F("claim_token") + 1,
            next_attempt_at=Now(),
            error={"message": "The worker running this node stopped; trying again.", "type": "WorkerLost"},
        )
    )
    # A waiting run is parked on purpose (no heartbeat while a person or a date is awaited): never stale.
    # A queued run that was never dispatched waits for its share of the workers (admission), not a worker.
    stale = list(
        Run.objects.annotate(last_sign=Coalesce("heartbeat_at", "created_at"))
        .filter(status__in=list(WORKED_RUN), last_sign__lt=_cutoff())
        .exclude(status=RunStatus.QUEUED, dispatched_at__isnull=True)
        .filter(Q(wake_at__isnull=True) | Q(wake_at__lte=Now()))
        .values_list("pk", flat=True)[:500]
    )
    resumed = sum(1 for run_id in stale if count_delivery(run_id, enqueue=True, only_if_stale=True))
    woken = admission.wake_due(exclude=stale)
    admitted = admission.admit_queued()
    result = {
        "fenced_nodes": fenced,
        "resumed_runs": resumed,
        "woken_runs": woken,
        "admitted_runs": admitted,
    }
    if any(result.values()):
        log.info("sweep: %s", result)
    return result


def count_delivery(run_id: int, *, enqueue: bool = False, only_if_stale: bool = False) -> bool:
    """Count one more delivery; fail the run as poison past the cap. True if it may go on.

    ``only_if_stale`` (the sweeper) re-checks staleness under the lock: another sweeper may have
    resumed the run since this one read it as stale.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_RUN:
            return False
        if only_if_stale and not (
            Run.objects.annotate(last_sign=Coalesce("heartbeat_at", "created_at"))
            .filter(pk=run_id, last_sign__lt=_cutoff())
            .exists()
        ):
            return False
        run.deliveries += 1
        run.heartbeat_at = timezone.now()  # resets the staleness clock while the new delivery starts
        if run.deliveries > settings.FLOWBUILDER_MAX_DELIVERIES:
            run.status = RunStatus.FAILED
            run.finished_at = timezone.now()
            run.error = {
                "message": f"The run was delivered {run.deliveries} times without finishing and was stopped.",
                "hint": "Look at the node it stopped at in the failed-runs queue, fix the cause, then retry.",
                "type": "PoisonRun",
            }
            event = append_event(run, EventType.RUN_FAILED, {"status": RunStatus.FAILED, "error": run.error})
            run.save(
                update_fields=["deliveries", "heartbeat_at", "status", "finished_at", "error", "last_seq"]
            )
            publish_run_events(run, [event])
            admission.freed(run.organisation_id)
            if run.origin != RunOrigin.ERROR_FLOW:
                dispatch.after_commit(lambda: dispatch.start_error_flow(run_id))
            return False
        run.save(update_fields=["deliveries", "heartbeat_at"])
        if enqueue:
            dispatch.after_commit(lambda: dispatch.advance_run(run_id))
    return True
