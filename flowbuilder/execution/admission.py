"""Fair sharing of the workers: which queued runs go to the broker now, and with what priority.

The broker is first in, first out: if one customer's backlog of 10,000 runs went to it at once, another
customer's single run would wait behind all of them. So a run is *dispatched* (its doorbell rung,
``Run.dispatched_at`` set) only while its organisation has fewer than ``FLOWBUILDER_ORG_ACTIVE_RUNS``
dispatched or running runs, and its flow fewer than its ``max_concurrent_runs``. The rest wait in the
database as queued, and are admitted in order as runs of their organisation end or park (a waiting run
holds no worker), and by the sweeper every second. Another organisation's run is therefore behind at most
a few runs of each busy organisation, not behind their backlog.

A parked run that wakes (its timer is due, a person approved, a callback arrived) takes a worker again, so
it needs the same room: ``wake_due`` wakes parked runs only while their organisation and flow have it,
before queued runs are admitted (they started earlier), and the engine leaves a parked run parked when a
doorbell rings for it without room. Otherwise 10,000 approvals granted at once would run past the share.

Priority follows the flow's criticality: critical flows' messages are taken first from the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from flowbuilder.core.compiled_query import CompiledQuery

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
    # status IN (...) first: the (organisation, status) index then reads only live runs, not the history.
    return Run.objects.filter(status__in=[RunStatus.RUNNING, RunStatus.QUEUED], **where).filter(
        Q(status=RunStatus.RUNNING) | Q(dispatched_at__isnull=False)
    )


def live_runs_of_organisation() -> Any:
    """How many runs of the outer row's organisation hold a worker slot, as a subquery: the webhook path
    reads a flow and this count in one query (``Flow.objects.annotate(org_live_runs=...)``)."""
    live = (
        _active(organisation_id=OuterRef("organisation_id"))
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(live), 0)


def may_dispatch(limits: FlowLimits, *, org_live: int | None = None) -> bool:
    """Is there room for one more active run of this flow and organisation? (one or two counts, LIMITed;
    ``org_live`` is the organisation's count when the caller already read it)"""
    org_slots = settings.FLOWBUILDER_ORG_ACTIVE_RUNS
    if org_live is None:
        org_live = _active(organisation_id=limits.organisation_id)[:org_slots].count()
    if org_live >= org_slots:
        return False
    cap = limits.max_concurrent_runs
    return not cap or _active(flow_id=limits.flow_id)[:cap].count() < cap


def dispatch_run(run_id: int, criticality: str = "normal") -> None:
    """Ring the doorbell of an admitted run (it was marked dispatched in the same transaction)."""
    dispatch.advance_run(run_id, priority=priority_of(criticality))


class _Room:
    """The free slots of some organisations and flows, counted once and taken one run at a time."""

    def __init__(self, org_ids: set[int], flow_ids: set[int]) -> None:
        self.slots = settings.FLOWBUILDER_ORG_ACTIVE_RUNS
        self.org = dict(
            _active(organisation_id__in=org_ids).values_list("organisation_id").annotate(n=Count("id"))
        )
        self.flow = dict(_active(flow_id__in=flow_ids).values_list("flow_id").annotate(n=Count("id")))

    def take(self, org_id: int, flow_id: int, cap: int | None) -> bool:
        if self.org.get(org_id, 0) >= self.slots or (cap and self.flow.get(flow_id, 0) >= cap):
            return False
        self.org[org_id] = self.org.get(org_id, 0) + 1
        self.flow[flow_id] = self.flow.get(flow_id, 0) + 1
        return True


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
    room = _Room({c[1] for c in candidates}, {c[2] for c in candidates if c[3]})
    admitted = 0
    for run_id, org_id, flow_id, cap, criticality in candidates:
        if not room.take(org_id, flow_id, cap):
            continue
        with transaction.atomic():
            claimed = Run.objects.filter(
                pk=run_id, status=RunStatus.QUEUED, dispatched_at__isnull=True
            ).update(dispatched_at=timezone.now(), heartbeat_at=timezone.now())
            if claimed:
                dispatch.after_commit(lambda r=run_id, c=criticality: dispatch_run(r, c))
        admitted += bool(claimed)
    return admitted


def wake_due(organisation_id: int | None = None, *, exclude: Iterable[int] = (), limit: int = 500) -> int:
    """Ring the doorbell of runs whose wake-up time has come: a running run (a retry's backoff) always,
    it holds its slot; a parked run only while its organisation and flow have room, else it stays due.

    Safe to run concurrently: a run is woken by an UPDATE that only matches it while still due.
    """
    due = Run.objects.filter(status__in=[RunStatus.RUNNING, RunStatus.WAITING], wake_at__lte=Now())
    if organisation_id is not None:
        due = due.filter(organisation_id=organisation_id)
    rows = list(
        due.exclude(pk__in=list(exclude))
        .order_by("wake_at", "id")
        .values_list(
            "id", "status", "organisation_id", "flow_id", "flow__max_concurrent_runs", "flow__criticality"
        )[:limit]
    )
    parked = [r for r in rows if r[1] == RunStatus.WAITING]
    room = _Room({r[2] for r in parked}, {r[3] for r in parked if r[4]}) if parked else None
    woken = 0
    for run_id, status, org_id, flow_id, cap, criticality in rows:
        if status == RunStatus.WAITING and not room.take(org_id, flow_id, cap):
            continue
        # Running again with a fresh heartbeat: if this doorbell is lost, the run goes stale and is resumed.
        woke = Run.objects.filter(
            pk=run_id, status__in=[RunStatus.RUNNING, RunStatus.WAITING], wake_at__lte=Now()
        ).update(wake_at=None, status=RunStatus.RUNNING, heartbeat_at=Now())
        if woke:
            dispatch_run(run_id, criticality)
            woken += 1
    return woken


def may_wake(run: Run) -> bool:
    """May this parked run take a worker now? (the engine asks when a doorbell rings for it)"""
    cap, criticality = (
        Run.objects.filter(pk=run.pk).values_list("flow__max_concurrent_runs", "flow__criticality").get()
    )
    return may_dispatch(FlowLimits(run.flow_id, run.organisation_id, cap, criticality))


def _held_query(organisation_id: int) -> Any:
    return (
        Run.objects.filter(
            organisation_id=organisation_id,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING],
        )
        .filter(
            Q(status=RunStatus.QUEUED, dispatched_at__isnull=True)
            | Q(status__in=[RunStatus.RUNNING, RunStatus.WAITING], wake_at__lte=Now())
        )
        .order_by()
        .values_list("pk")[:1]
    )


# Asked at the end of every run: compiled once (building it cost more than the database's answer).
_HELD_QUERY = CompiledQuery(_held_query, organisation_id=-424_242_424)  # no organisation has this id


def _anything_held(organisation_id: int) -> bool:
    """Does the organisation have a run waiting for admission or due to wake?"""
    return _HELD_QUERY.fetchone(organisation_id=organisation_id) is not None


def freed(organisation_id: int) -> None:
    """A run of this organisation ended or parked: after the commit, wake its due parked runs, then
    admit its next queued runs."""

    def refill() -> None:
        if not _anything_held(organisation_id):
            return  # the common case: one indexed query instead of two
        wake_due(organisation_id, limit=settings.FLOWBUILDER_ORG_ACTIVE_RUNS)
        admit_queued(organisation_id, limit=settings.FLOWBUILDER_ORG_ACTIVE_RUNS)

    dispatch.after_commit(refill)
