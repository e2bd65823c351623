"""Starting and steering runs: start, cancel, retry from the failed node, skip it, replay."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.flows.models import Flow, FlowVersion
from flowbuilder.planning import ExecutionPlan
from flowbuilder.tenancy.permissions import can

from . import admission, dispatch, hooks, scheduler
from .bulk import can_insert_run_in_one_statement, insert_run_with_first_event
from .events import append_event
from .models import (
    TERMINAL_RUN,
    EventType,
    NodeRun,
    NodeStatus,
    Run,
    RunEvent,
    RunOrigin,
    RunStatus,
)
from .publish import publish_run_events

log = logging.getLogger(__name__)

MAX_INPUT_ITEMS = 10_000


def normalise_items(data: Any) -> list[dict[str, Any]]:
    """Run input as items: an object is one item, a list of objects many; anything else is refused."""
    if data is None:
        return [{}]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(x, dict) for x in data):
        if len(data) > MAX_INPUT_ITEMS:
            raise InvalidInputError(f"At most {MAX_INPUT_ITEMS} input items per run.", field="input")
        return data
    raise InvalidInputError("Input must be a JSON object or a list of JSON objects.", field="input")


def start_run(
    *,
    actor: Any,
    flow: Flow,
    input_items: list[dict[str, Any]],
    origin: str = RunOrigin.MANUAL,
    version: FlowVersion | None = None,
    options: dict[str, Any] | None = None,
    replay_of: Run | None = None,
    copy_from: Run | None = None,
    copy_except: frozenset[str] = frozenset(),
    audit: bool = True,
) -> Run:
    """Create a queued run pinned to a version and ring the worker's doorbell after commit.

    ``actor`` None means the system (a webhook or a schedule already authenticated by its secret).
    """
    if actor is not None and not can(actor, "run", flow):
        raise PermissionDeniedError("You may not run this flow.")
    # The id, not ``flow.published_version``: loading the version's document would slow every webhook.
    version_id = version.pk if version is not None else flow.published_version_id
    if version_id is None:
        raise InvalidInputError("The flow is not published yet; publish it or run the draft from the editor.")
    run = Run(
        organisation_id=flow.organisation_id,
        flow=flow,
        version_id=version_id,
        origin=origin,
        input_items=input_items,
        options=options or {},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        replay_of=replay_of,
        last_seq=1,
    )
    limits = admission.FlowLimits(
        flow_id=flow.pk,
        organisation_id=flow.organisation_id,
        max_concurrent_runs=flow.max_concurrent_runs,
        criticality=flow.criticality,
    )
    priority = admission.priority_of(limits.criticality)
    queued: dict[str, Any] = {"status": RunStatus.QUEUED, "origin": origin}
    lean = copy_from is None and not limits.max_concurrent_runs and not (audit and actor is not None)
    if lean and can_insert_run_in_one_statement():
        # The webhook hot path: the run and its first event in one statement, no transaction round trips.
        # A webhook's flow comes with its organisation's live-run count (triggers.webhooks.find_target).
        admitted = admission.may_dispatch(limits, org_live=getattr(flow, "org_live_runs", None))
        _mark_admission(run, queued, admitted)
        insert_run_with_first_event(run, EventType.RUN_QUEUED, queued)
        hooks.run_started(run)
        if admitted:
            _ring_worker(run.pk, priority)
        # No publish of the queued event: nobody can watch a run before it exists, and a watcher's
        # snapshot (read after it joins the run's group) already holds it.
        return run
    with transaction.atomic():
        if limits.max_concurrent_runs:
            # A flow's limit is a promise (1 = never overlap): starts of one flow take turns at the count.
            list(Flow.objects.select_for_update().filter(pk=flow.pk).values_list("pk"))
        admitted = admission.may_dispatch(limits)
        _mark_admission(run, queued, admitted)
        run.save(force_insert=True)
        if copy_from is not None:
            _copy_finished_nodes(copy_from, run, except_nodes=copy_except)
        # The run was created with last_seq=1: its first event needs no second write of the run row.
        RunEvent.objects.create(run=run, seq=1, type=EventType.RUN_QUEUED, payload=queued, at=run.created_at)
        hooks.run_started(run)
        if audit and actor is not None:
            record(
                AuditAction.RUN_START,
                actor=actor,
                organisation=flow.organisation_id,
                obj=run,
                after={"origin": origin},
            )
        if admitted:
            transaction.on_commit(lambda: _ring_worker(run.pk, priority))
        # The queued event is not published: see the lean path above.
    return run


def _mark_admission(run: Run, queued: dict[str, Any], admitted: bool) -> None:
    if admitted:
        run.dispatched_at = timezone.now()
    else:
        queued["waiting_for"] = "its share of the workers"  # admitted when its organisation's runs end


def _ring_worker(run_id: int, priority: int | None = None) -> None:
    """A broker that is down must not fail the request: the run is stored and the sweeper enqueues it."""
    try:
        dispatch.advance_run(run_id, priority=priority)
    except Exception:
        log.warning(
            "run %s is stored but could not be enqueued; the sweeper will resume it", run_id, exc_info=True
        )


def _copy_finished_nodes(source: Run, target: Run, *, except_nodes: frozenset[str] = frozenset()) -> None:
    """Carry succeeded and skipped nodes over so a retry resumes at the failed node, not before it."""
    rows = [
        NodeRun(
            run=target,
            node_id=row.node_id,
            status=row.status,
            attempt=row.attempt,
            input_counts=row.input_counts,
            output_counts=row.output_counts,
            output_items=row.output_items,
            error=row.error,
            started_at=row.started_at,
            finished_at=row.finished_at,
            duration_ms=row.duration_ms,
        )
        for row in source.node_runs.all()
        if row.node_id not in except_nodes
        and (
            row.status in (NodeStatus.SUCCEEDED, NodeStatus.SKIPPED)
            or (row.status == NodeStatus.FAILED and (row.error or {}).get("continued"))
        )
    ]
    NodeRun.objects.bulk_create(rows)


def cancel_run(*, actor: Any, run: Run) -> Run:
    if not can(actor, "operate", run.flow):
        raise PermissionDeniedError("You may not cancel runs of this flow.")
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.status in TERMINAL_RUN:
            raise InvalidInputError(f"The run already {run.status}; nothing to cancel.", field="status")
        run.status = RunStatus.CANCELLED
        run.finished_at = timezone.now()
        run.error = {"message": f"Cancelled by {actor.get_username()}."}
        event = append_event(run, EventType.RUN_CANCELLED, {"status": RunStatus.CANCELLED})
        run.save(update_fields=["status", "finished_at", "error", "last_seq"])
        record(AuditAction.RUN_CANCEL, actor=actor, organisation=run.organisation_id, obj=run)
        publish_run_events(run, [event])
        admission.freed(run.organisation_id)
    return run


def retry_run(*, actor: Any, run: Run) -> Run:
    """A new run of the same version and input that keeps what succeeded and resumes at the failed node."""
    with transaction.atomic():
        new = _resume_copy(actor, run)
        record(
            AuditAction.RUN_RETRY,
            actor=actor,
            organisation=run.organisation_id,
            obj=new,
            after={"retry_of": run.pk},
        )
    return new


def _carried_options(run: Run) -> dict[str, Any]:
    # A webhook caller waited for the original run only.
    return {k: v for k, v in (run.options or {}).items() if k != "waiter"}


def _resume_copy(actor: Any, run: Run) -> Run:
    if not can(actor, "operate", run.flow):
        raise PermissionDeniedError("You may not retry runs of this flow.")
    if run.status not in (RunStatus.FAILED, RunStatus.CANCELLED):
        raise InvalidInputError("Only failed or cancelled runs can be retried.", field="status")
    return start_run(
        actor=actor,
        flow=run.flow,
        input_items=run.input_items,
        origin=RunOrigin.REPLAY,
        version=run.version,
        options=_carried_options(run),
        replay_of=run,
        copy_from=run,
        audit=False,
    )


def skip_failed_node(*, actor: Any, run: Run) -> Run:
    """Retry, treating the failed node as done with its input passed through unchanged."""
    if not can(actor, "operate", run.flow):
        raise PermissionDeniedError("You may not change runs of this flow.")
    failed = run.node_runs.filter(status=NodeStatus.FAILED).first()
    if run.status != RunStatus.FAILED or failed is None:
        raise InvalidInputError("Only a failed run with a failed node can skip that node.", field="status")
    with transaction.atomic():
        new = _resume_copy(actor, run)
        plan = ExecutionPlan.from_dict(run.version.plan)
        outputs = {row.node_id: row.output_items or {} for row in run.node_runs.all()}
        inputs = scheduler.node_inputs(
            plan,
            failed.node_id,
            outputs_of=lambda node_id: outputs.get(node_id) or {},
            run_input=run.input_items or [],
        )
        passed = [item for items in inputs.values() for item in items]
        NodeRun.objects.create(
            run=new,
            node_id=failed.node_id,
            status=NodeStatus.SUCCEEDED,
            output_items={"main": passed},
            output_counts={"main": len(passed)},
            error={
                "message": f"Skipped by {actor.get_username()} after it failed.",
                "skipped_by_operator": True,
            },
            started_at=timezone.now(),
            finished_at=timezone.now(),
            duration_ms=0,
        )
        record(
            AuditAction.RUN_SKIP_NODE,
            actor=actor,
            organisation=run.organisation_id,
            obj=new,
            after={"node_id": failed.node_id},
        )
    return new


def replay_run(*, actor: Any, run: Run, version: FlowVersion | None = None) -> Run:
    """A fresh run with the same input (external writes are idempotent by key), on the run's own version
    or on ``version`` (the flow's current published one, after a fix)."""
    if not can(actor, "operate", run.flow):
        raise PermissionDeniedError("You may not replay runs of this flow.")
    if version is not None and version.flow_id != run.flow_id:
        raise InvalidInputError("That version belongs to another flow.", field="version")
    with transaction.atomic():
        new = start_run(
            actor=actor,
            flow=run.flow,
            input_items=run.input_items,
            origin=RunOrigin.REPLAY,
            version=version or run.version,
            options=_carried_options(run),
            replay_of=run,
            audit=False,
        )
        record(
            AuditAction.RUN_REPLAY,
            actor=actor,
            organisation=run.organisation_id,
            obj=new,
            after={"replay_of": run.pk, "version": new.version_id},
        )
    return new


def retry_from_node(*, actor: Any, run: Run, node_id: str) -> Run:
    """Run again from ``node_id`` on: for items a node failed on while the run carried on (``on_error:
    continue``), so the run itself may have succeeded. What ran before the node is kept; the node and
    everything after it run again on the same version."""
    if not can(actor, "operate", run.flow):
        raise PermissionDeniedError("You may not retry runs of this flow.")
    if run.status not in TERMINAL_RUN:
        raise InvalidInputError("The run is still going; retry it once it has finished.", field="status")
    plan = ExecutionPlan.from_dict(run.version.plan)
    if node_id not in plan.nodes:
        raise InvalidInputError(f"The run's version has no node {node_id!r}.", field="node_id")
    with transaction.atomic():
        new = start_run(
            actor=actor,
            flow=run.flow,
            input_items=run.input_items,
            origin=RunOrigin.REPLAY,
            version=run.version,
            options=_carried_options(run),
            replay_of=run,
            copy_from=run,
            copy_except=downstream_of(plan, node_id),
            audit=False,
        )
        record(
            AuditAction.RUN_RETRY,
            actor=actor,
            organisation=run.organisation_id,
            obj=new,
            after={"retry_of": run.pk, "from_node": node_id},
        )
    return new


def downstream_of(plan: ExecutionPlan, node_id: str) -> frozenset[str]:
    """``node_id`` and every node reachable from it."""
    seen = {node_id}
    todo = [node_id]
    while todo:
        for link in plan.outgoing.get(todo.pop(), []):
            if link.target not in seen:
                seen.add(link.target)
                todo.append(link.target)
    return frozenset(seen)


def start_error_flow(run_id: int) -> Run | None:
    """Start the error flow of a run that failed finally (its flow's own, else the organisation's default),
    once, with the failure as its input. Runs of error flows never start another (no loops)."""
    with transaction.atomic():
        # of=self: the flow's row must stay free for the runs being started on it (FK checks lock it).
        run = (
            Run.objects.select_for_update(of=("self",))
            .select_related("flow", "version")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status != RunStatus.FAILED or run.origin == RunOrigin.ERROR_FLOW:
            return None
        handler = _error_flow_for(run)
        if handler is None or run.children.filter(origin=RunOrigin.ERROR_FLOW).exists():
            return None
        child = start_run(
            actor=None,
            flow=handler,
            input_items=[failure_item(run)],
            origin=RunOrigin.ERROR_FLOW,
            audit=False,
        )
        Run.objects.filter(pk=child.pk).update(parent_run=run, parent_node_id="~error-flow")
    return child


def _error_flow_for(run: Run) -> Flow | None:
    flows = Flow.objects.filter(organisation_id=run.organisation_id, published_version__isnull=False)
    if run.flow.error_flow_id and run.flow.error_flow_id != run.flow_id:
        own = flows.filter(pk=run.flow.error_flow_id).first()
        if own is not None:
            return own
    return flows.filter(is_default_error_flow=True).exclude(pk=run.flow_id).first()


def failure_item(run: Run) -> dict[str, Any]:
    """What an error flow receives: the failed run, node, error with its category, and the node's input."""
    error = dict(run.error or {})
    node_id = error.get("node_id") or ""
    inputs: list[Any] = []
    label = ""
    plan = ExecutionPlan.from_dict(run.version.plan) if run.version.plan else None
    if plan is not None and node_id in plan.nodes:
        label = plan.nodes[node_id].label
        outputs = {row.node_id: row.output_items or {} for row in run.node_runs.all()}
        ports = scheduler.node_inputs(
            plan, node_id, outputs_of=lambda n: outputs.get(n) or {}, run_input=run.input_items or []
        )
        inputs = [item for items in ports.values() for item in items]
    return {
        "run": {
            "id": run.pk,
            "flow_id": run.flow_id,
            "flow_name": run.flow.name,
            "origin": run.origin,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "correlation_id": str(run.correlation_id),
        },
        "node": {"id": node_id, "label": label},
        "error": error,
        "category": error.get("category", "internal"),
        "input_item": inputs[0] if inputs else None,
        "input_items": inputs[:100],
    }
