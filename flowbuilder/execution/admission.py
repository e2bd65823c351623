"""Fair sharing of the workers: which queued runs go to the broker now, and with what priority.

The broker is first in, first out: if one customer's backlog of 10,000 runs went to it at once, another
customer's single run would wait behind all of them. So a run is *dispatched* (its doorbell rung,
``Run.dispatched_at`` set) only while its organisation has fewer than ``FLOWBUILDER_ORG_ACTIVE_RUNS``
dispatched or running runs, and its flow fewer than its ``max_concurrent_runs``. The rest wait in the
database as queued, and are admitted in order as runs of their organisation end or park (a waiting run
holds no worker), and by the sweeper every second. Another organisation's run is therefore behind at most
a few runs of each busy organisation, not behind their backlog.

Priority follows the flow's criticality: critical flows' messages are taken first from the broker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from . import dispatch
from .models import Run, RunStatus

log = logging.getLogger(__name__)

# Redis (kombu) takes lower numbers first; these are the transport's default priority steps.
PRIORITY = {"critical": 0, "high": 3, "normal": 6, "low": 9}


@dataclass(frozen=True)
class FlowLimits:
    """What admission needs of a flow (kept small: the webhook path loads only these columns)."""

    flow_id: int
    organisation_id: int
    max_concurrent_runs: int | None
    criticality: str


def priority_of(criticality: str) -> int:
    return PRIORITY.get(criticality, PRIORITY["normal"])


def _active(**where: object) -> object:
    return Run.objects.filter(
        Q(status=RunStatus.RUNNING) | Q(status=RunStatus.QUEUED, dispatched_at__isnull=False), **where
    )


def may_dispatch(limits: FlowLimits) -> bool:
    """Is there room for one more active run of this flow and organisation? (one or two counts, LIMITed)"""
    org_slots = settings.FLOWBUILDER_ORG_ACTIVE_RUNS
    if _active(organisation_id=limits.organisation_id)[:org_slots].count() >= org_slots:
        return False
    cap = limits.max_concurrent_runs
    return not cap or _active(flow_id=limits.flow_id)[:cap].count() < cap


def dispatch_run(run_id: int, criticality: str = "normal") -> None:
    """Ring the doorbell of an admitted run (it was marked dispatched in the same transaction)."""
    dispatch.advance_run(run_id, priority=priority_of(criticality))


def admit_queued(organisation_id: int | None = None, limit: int = 200) -> int:
    """Dispatch waiting queued runs, oldest first, while their organisation and flow have room.

    Called after a run ends or parks (for its organisation) and by the sweeper (for all). Safe to run
    concurrently: a run is claimed for dispatch by an UPDATE that only matches it while undispatched.
    """
    waiting = Run.objects.filter(status=RunStatus.QUEUED, dispatched_at__isnull=True)
    if organisation_id is not None:
        waiting = waiting.filter(organisation_id=organisation_id)
    candidates = list(
        waiting.order_by("id").values_list(
            "id", "organisation_id", "flow_id", "flow__max_concurrent_runs", "flow__criticality"
        )[:limit]
    )
    if not candidates:
        return 0
    org_ids = {c[1] for c in candidates}
    flow_ids = {c[2] for c in candidates if c[3]}
    org_active = dict(
        _active(organisation_id__in=org_ids).values_list("organisation_id").annotate(n=Count("id"))
    )
    flow_active = dict(_active(flow_id__in=flow_ids).values_list("flow_id").annotate(n=Count("id")))
    slots = settings.FLOWBUILDER_ORG_ACTIVE_RUNS
    admitted = 0
    for run_id, org_id, flow_id, cap, criticality in candidates:
        if org_active.get(org_id, 0) >= slots or (cap and flow_active.get(flow_id, 0) >= cap):
            continue
        with transaction.atomic():
            claimed = Run.objects.filter(
                pk=run_id, status=RunStatus.QUEUED, dispatched_at__isnull=True
            ).update(dispatched_at=timezone.now(), heartbeat_at=timezone.now())
            if claimed:
                dispatch.after_commit(lambda r=run_id, c=criticality: dispatch_run(r, c))
        if claimed:
            admitted += 1
            org_active[org_id] = org_active.get(org_id, 0) + 1
            flow_active[flow_id] = flow_active.get(flow_id, 0) + 1
    return admitted


def freed(organisation_id: int) -> None:
    """A run of this organisation ended or parked: admit its next queued runs after the commit."""
    dispatch.after_commit(lambda: admit_queued(organisation_id, limit=settings.FLOWBUILDER_ORG_ACTIVE_RUNS))
