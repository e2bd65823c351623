"""Keeping trigger rows in step with published flows, and polling them.

* :func:`sync_flow_triggers` is called by ``flows.actions.publish_flow`` (and by a promotion into dev
  or test, flows.environments) inside its transaction: one :class:`PollingState` per polling/schedule
  trigger node of the version now live in that environment. Each environment has its own rows, so
  its own cursor: polling test never moves prod's cursor. A dev/test row stops when its release is
  withdrawn or the organisation turns environments off.
* :func:`claim_due` (the beat task ``triggers.poll_due``, every few seconds) leases the due rows.
* :func:`poll_trigger` (task ``triggers.poll_trigger``, one per due row) polls through the connection's
  runtime outside any transaction, then, in ONE transaction, starts a run with the items found and
  advances the cursor. A crash before that commit leaves the old cursor (the next poll finds the same
  records again); after it, both the run and the cursor exist. A poll that started from a cursor that
  has moved on since (a concurrent or redelivered poll) commits nothing.
* Exactly once: a record version found again within the window (overlapping cursors, a redelivered
  poll) and a change our own flows wrote (an echo, see ``crossref.echoes``) start no run; the trigger's
  ``duplicates_skipped`` and ``echoes_skipped`` count them.
* Operators :func:`pause_trigger`, :func:`resume_trigger` and :func:`poll_now`. A paused trigger is not
  polled, and a poll in flight when it was paused commits nothing: the records wait for the resume.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.base import RecordRef
from connectors.errors import ConnectorError
from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core import cron
from flowbuilder.core.errors import FlowbuilderError, InvalidInputError, PermissionDeniedError
from flowbuilder.crossref import echoes
from flowbuilder.execution import dispatch
from flowbuilder.execution.actions import start_run
from flowbuilder.execution.models import ACTIVE_RUN, Run, RunOrigin
from flowbuilder.flows.models import Flow, FlowVersion, Release
from flowbuilder.tenancy.permissions import can

from . import ingress
from .idle import idle_due
from .models import PollingState, TriggerKind
from .schedule import TriggerSpec, backoff, first_due, next_due, trigger_specs
from .schedule import preview as schedule_preview

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
PROD = "prod"  # the published version's triggers (every flow without environments)


# --- publish -----------------------------------------------------------------------------------------


def sync_flow_triggers(
    *, flow: Flow, version: FlowVersion | None, environment: str = PROD
) -> list[PollingState]:
    """Make the flow's trigger rows of ``environment`` match ``version`` (the one now live there; None:
    no triggers there). Other environments' rows are untouched.

    Kept: the cursor, unless the node's type, connection or poll config changed (then the trigger
    starts from scratch). Removed nodes lose their rows. Called inside the publish transaction.
    """
    now = timezone.now()
    zone = _zone_of(flow)
    specs = {s.node_id: s for s in trigger_specs(version.document if version else None)}
    rows = {
        r.node_id: r
        for r in PollingState.objects.select_for_update().filter(flow=flow, environment=environment)
    }
    PollingState.objects.filter(pk__in=[r.pk for nid, r in rows.items() if nid not in specs]).delete()
    out = []
    for node_id, spec in specs.items():
        row = rows.get(node_id)
        if row is None:
            row = PollingState.objects.create(
                flow=flow,
                environment=environment,
                node_id=node_id,
                kind=spec.kind,
                node_type=spec.node_type,
                fingerprint=spec.fingerprint,
                interval_s=spec.interval_s,
                next_poll_at=first_due(spec, now, zone),
            )
        else:
            _update_row(row, spec, now, zone)
        out.append(row)
    return out


def _zone_of(flow: Flow) -> Any:
    """The organisation's time zone: cron schedules tick in it."""
    from flowbuilder.tenancy.models import Organisation

    name = Organisation.objects.filter(pk=flow.organisation_id).values_list("timezone", flat=True).first()
    return cron.zone_named(name)


def _update_row(row: PollingState, spec: TriggerSpec, now: datetime, zone: Any) -> None:
    if row.fingerprint != spec.fingerprint or row.kind != spec.kind:
        ingress.forget_versions(row.pk)
        row.cursor = None
        row.generation += 1  # a poll in flight from the old config must not commit
        row.next_poll_at = first_due(spec, now, zone)
        row.consecutive_failures = 0
        row.last_error = ""
    elif row.interval_s != spec.interval_s or spec.kind == TriggerKind.SCHEDULE or not row.enabled:
        row.next_poll_at = next_due(spec, row.last_polled_at or now, zone)
    row.kind, row.node_type, row.fingerprint = spec.kind, spec.node_type, spec.fingerprint
    row.interval_s = spec.interval_s
    row.enabled = True
    row.save()


# --- beat: lease the due triggers --------------------------------------------------------------------


def claim_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Lease due triggers (their next_poll_at moves a lease ahead) and return their ids.

    ``skip_locked``: two overlapping ticks never claim the same row. If the poll task is lost, the
    trigger is due again when the lease runs out.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.FLOWBUILDER_POLL_LEASE_S)
    with transaction.atomic():
        ids = list(
            PollingState.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, paused_at__isnull=True, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            PollingState.objects.filter(pk__in=ids).update(next_poll_at=now + lease)
    return ids


# --- one poll --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollOutcome:
    status: str  # "run" | "empty" | "failed" | "stale" | "disabled"
    items: int = 0
    run_id: int | None = None
    error: str = ""
    duplicates: int = 0  # record versions already started within the window
    echoes: int = 0  # changes our own flows wrote


@dataclass(frozen=True)
class Found:
    """What a poll found: the items, the next cursor, and (when the connector says) which record version
    each item is and in which system."""

    items: list[dict[str, Any]]
    cursor: Any
    refs: list[RecordRef] | None = None
    system: str = ""
    held: int = 0  # records seen but not settled yet: the next poll comes at the interval


def poll_trigger(state_id: int) -> PollOutcome:
    """Poll one trigger; never raises (errors are recorded on the row and backed off)."""
    state = PollingState.objects.filter(pk=state_id).select_related("flow__published_version").first()
    if state is None or not state.enabled or state.paused_at is not None:
        return PollOutcome("disabled")
    generation = state.generation
    now = timezone.now()
    try:
        version = _live_version(state)
        spec = _current_spec(state, version)
        if spec is None:
            _disable(state_id, generation, "The trigger node is no longer in the published flow.")
            return PollOutcome("disabled")
        return _commit(state_id, generation, spec, _fetch(state, spec, now), now, version)
    except Exception as exc:  # recorded and backed off: a broken trigger never stops the others
        message, retry_after = _describe(exc)
        if not isinstance(exc, FlowbuilderError | ConnectorError):
            log.exception("polling trigger %s failed", state_id)
        _record_failure(state_id, generation, message, retry_after, now)
        return PollOutcome("failed", error=message)


def _live_version(state: PollingState) -> FlowVersion | None:
    """The version the trigger's environment runs: the published one for prod, else the environment's
    release (none once withdrawn, or when the organisation turned environments off)."""
    if state.environment == PROD:
        return state.flow.published_version
    from flowbuilder.tenancy.models import Organisation

    if not Organisation.objects.filter(pk=state.flow.organisation_id, environments_enabled=True).exists():
        return None
    release = Release.objects.select_related("version").filter(
        flow_id=state.flow_id, environment=state.environment
    )
    return next((r.version for r in release), None)


def _current_spec(state: PollingState, version: FlowVersion | None) -> TriggerSpec | None:
    for spec in trigger_specs(version.document if version else None):
        if spec.node_id == state.node_id and spec.fingerprint == state.fingerprint:
            return spec
    return None


def _fetch(state: PollingState, spec: TriggerSpec, now: datetime) -> Found:
    if spec.kind == TriggerKind.SCHEDULE:
        return Found(
            [{"scheduled_at": now.isoformat(), "node_id": spec.node_id}], {"fired_at": now.isoformat()}
        )
    from flowbuilder.credentials.runtime import open_connection

    cls = spec.node_cls
    runtime = open_connection(state.flow.organisation_id, spec.config.get("connection"))
    if runtime.connector_key != cls.connector.key:
        raise FlowbuilderError(
            f"Connection {spec.config.get('connection')} is for {runtime.connector_key!r}, "
            f"not {cls.connector.name}.",
            hint="Pick a connection of the right system and publish again.",
        )
    result = runtime.poll(cls.trigger.key, cls.poll_config(spec.config), state.cursor)
    items = [dict(i) for i in result.items]
    refs = result.refs if result.refs is not None and len(result.refs) == len(items) else None
    return Found(items, result.cursor, refs, runtime.connector_key, result.held)


def _fresh(state: PollingState, found: Found) -> tuple[list[dict[str, Any]], int, int]:
    """The items that are news: not our own writes' echoes, not a version already started within the
    window (claimed here, in the transaction that starts their run). Returns (items, duplicates, echoes)."""
    if found.refs is None or not found.items:
        return found.items, 0, 0
    echoed = echoes.own_writes(state.flow.organisation_id, found.system, found.refs, flow_id=state.flow_id)
    candidates = [i for i in range(len(found.items)) if i not in echoed]
    window = settings.FLOWBUILDER_POLL_DEDUPE_WINDOW_S
    fresh = ingress.claim_versions(state.pk, [found.refs[i] for i in candidates], window)
    items = [found.items[i] for n, i in enumerate(candidates) if n in fresh]
    return items, len(candidates) - len(items), len(echoed)


def _commit(
    state_id: int,
    generation: int,
    spec: TriggerSpec,
    found: Found,
    now: datetime,
    version: FlowVersion | None = None,
) -> PollOutcome:
    """The run and the cursor advance together, or neither does. A dev/test trigger's run is pinned
    to ``version``, its environment's release; prod's to the flow's published version."""
    cursor = found.cursor
    with transaction.atomic():
        state = PollingState.objects.select_for_update(of=("self",)).select_related("flow").get(pk=state_id)
        if state.generation != generation or not state.enabled or state.paused_at is not None:
            return PollOutcome("stale", items=len(found.items))
        items, duplicates, echoed = _fresh(state, found)
        state.duplicates_skipped += duplicates
        state.echoes_skipped += echoed
        run = None
        if spec.kind == TriggerKind.SCHEDULE and _still_running(state.flow_id, state.environment):
            # A timed flow never overlaps itself (a billing run must see the lines the previous one
            # marked); this tick is skipped and the next comes at the next interval.
            items = []
        if items:
            pinned = version if state.environment != PROD else None
            run = start_run(
                actor=None, flow=state.flow, input_items=items, origin=RunOrigin.SCHEDULE, version=pinned
            )
            state.last_run_id = run.pk
            state.runs_started += 1
        state.cursor = cursor
        state.generation += 1
        state.last_polled_at = state.last_success_at = now
        if spec.kind == TriggerKind.POLL and run is None and not found.held:
            state.next_poll_at = idle_due(spec, state, timezone.now())  # empty polls back off (idle.py)
        else:
            zone = _zone_of(state.flow) if spec.config.get("mode") == "cron" else None
            state.next_poll_at = next_due(spec, timezone.now(), zone or UTC)
        state.consecutive_failures = 0
        state.last_error = ""
        state.save()
    if run is None:
        return PollOutcome("empty", duplicates=duplicates, echoes=echoed)
    return PollOutcome("run", items=len(items), run_id=run.pk, duplicates=duplicates, echoes=echoed)


def _still_running(flow_id: int, environment: str = PROD) -> bool:
    """A scheduled run of the flow in this environment is still going (environments never block each
    other; prod counts the runs of every version not made for dev or test)."""
    runs = Run.objects.filter(flow_id=flow_id, origin=RunOrigin.SCHEDULE, status__in=list(ACTIVE_RUN))
    if environment == PROD:
        runs = runs.exclude(version__environment__in=("dev", "test"))
    else:
        runs = runs.filter(version__environment=environment)
    return runs.exists()


def _describe(exc: Exception) -> tuple[str, float | None]:
    """A message safe to show (connector and node errors never carry secrets) and any Retry-After."""
    if isinstance(exc, FlowbuilderError | ConnectorError):
        message = exc.message + (f" {exc.hint}" if getattr(exc, "hint", "") else "")
        return message[:MAX_ERROR_CHARS], getattr(exc, "retry_after", None)
    return f"Unexpected error ({type(exc).__name__}); see the worker log.", None


def _record_failure(
    state_id: int, generation: int, message: str, retry_after: float | None, now: datetime
) -> None:
    with transaction.atomic():
        state = PollingState.objects.select_for_update().filter(pk=state_id).first()
        if state is None or state.generation != generation:
            return
        state.consecutive_failures += 1
        state.last_error = message
        state.last_polled_at = now
        delay = backoff(state.interval_s, state.consecutive_failures, retry_after)
        state.next_poll_at = now + timedelta(seconds=delay)
        state.save(update_fields=["consecutive_failures", "last_error", "last_polled_at", "next_poll_at"])


def _disable(state_id: int, generation: int, message: str) -> None:
    PollingState.objects.filter(pk=state_id, generation=generation).update(enabled=False, last_error=message)


# --- operators -------------------------------------------------------------------------------------


def _locked_for_operator(actor: Any, state: PollingState) -> PollingState:
    if not can(actor, "operate", state.flow):
        raise PermissionDeniedError("You may not pause, resume or poll this flow's triggers.")
    return PollingState.objects.select_for_update(of=("self",)).select_related("flow").get(pk=state.pk)


def _require_active(state: PollingState) -> None:
    if not state.enabled:
        raise InvalidInputError(
            "This trigger is no longer in the published flow; publish a version that has it.", field="enabled"
        )


def pause_trigger(*, actor: Any, state: PollingState) -> PollingState:
    with transaction.atomic():
        state = _locked_for_operator(actor, state)
        _require_active(state)
        if state.paused_at is not None:
            raise InvalidInputError("The trigger is already paused.", field="paused")
        state.paused_at, state.paused_by = timezone.now(), actor
        state.save(update_fields=["paused_at", "paused_by", "updated_at"])
        record(AuditAction.TRIGGER_PAUSE, actor=actor, organisation=state.flow.organisation_id, obj=state)
    return state


def resume_trigger(*, actor: Any, state: PollingState) -> PollingState:
    """Resume; it polls at once and catches up from its cursor (nothing that arrived meanwhile is lost)."""
    with transaction.atomic():
        state = _locked_for_operator(actor, state)
        _require_active(state)
        if state.paused_at is None:
            raise InvalidInputError("The trigger is not paused.", field="paused")
        state.paused_at, state.paused_by = None, None
        state.next_poll_at = timezone.now()
        state.save(update_fields=["paused_at", "paused_by", "next_poll_at", "updated_at"])
        record(AuditAction.TRIGGER_RESUME, actor=actor, organisation=state.flow.organisation_id, obj=state)
    return state


def poll_now(*, actor: Any, state: PollingState) -> PollingState:
    """Poll right away instead of at the next due time (e.g. after fixing a connection)."""
    with transaction.atomic():
        state = _locked_for_operator(actor, state)
        _require_active(state)
        if state.paused_at is not None:
            raise InvalidInputError("The trigger is paused; resume it to poll.", field="paused")
        # Leased like a beat claim, so the next tick does not poll it a second time.
        state.next_poll_at = timezone.now() + timedelta(seconds=settings.FLOWBUILDER_POLL_LEASE_S)
        state.save(update_fields=["next_poll_at", "updated_at"])
        record(AuditAction.TRIGGER_POLL_NOW, actor=actor, organisation=state.flow.organisation_id, obj=state)
        state_id = state.pk
        dispatch.after_commit(lambda: dispatch.poll_trigger(state_id))
    return state


# --- housekeeping ----------------------------------------------------------------------------------


def prune_ingress_marks(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the exactly-once bookkeeping whose window is over (delivery ids, seen versions, write marks)."""
    now = now or timezone.now()
    return {**ingress.prune(now), "write_marks": echoes.prune(now)}


# --- schedule preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchedulePreview:
    timezone: str
    times: list[datetime]  # aware, in the organisation's zone


def preview_schedule(*, actor: Any, flow: Flow, config: dict[str, Any], count: int = 5) -> SchedulePreview:
    """The next ``count`` ticks of a schedule trigger config as the flow's organisation would run it (its
    time zone, daylight saving included). Reads nothing but the organisation's zone; changes nothing."""
    if not can(actor, "view", flow):
        raise PermissionDeniedError("You may not see this flow.")
    zone = _zone_of(flow)
    try:
        times = schedule_preview(config, timezone.now(), zone, count)
    except ValueError as exc:
        raise InvalidInputError(f"Invalid cron expression: {exc}", field="cron") from exc
    return SchedulePreview(str(zone), times)
