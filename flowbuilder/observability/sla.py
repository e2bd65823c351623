"""SLAs on business time: a flow or a business event promises an outcome within a business-time target.

A policy (``SlaPolicy``) names its subject and its target, e.g. "approved billable time is invoiced within 1
business day". Its clock starts at the subject's start and runs on the organisation's business calendar
(``observability.business_time``: working days and hours, the country's public holidays):

* ``flow_run``: from a top-level run's creation until that run succeeds;
* ``won_to_project``: from a CRM deal won (``CloseDate``) until its project is linked in another system
  (SyncLink ``project``);
* ``approved_to_invoiced``: from billable time approved in the PSA until the PSA marks it invoiced;
* ``paid_to_crm``: from an ERP invoice paid until a run carrying that invoice's id succeeds (the flow that
  tells the CRM).

``evaluate(policy)`` (beat, with the records' refresh: ``observability.refresh_and_compute``) writes one
``SlaEvaluation`` per run or business event: ``pending`` while within time, ``met`` or ``breached``
(final). Business-event subjects read the records that ``observability.records`` stored.

**For the alert evaluator** (another module calls these; both are plain reads of stored evaluations, cheap):

* ``breaches(organisation_id, since) -> list[dict]``: evaluations that breached at or after ``since``, each
  ``{"policy_id", "policy", "subject", "subject_key", "label", "run_id", "criticality", "started_at",
  "due_at", "breached_at"}``, oldest first. An alert rule "SLA breached" raises one incident per
  ``(policy_id, subject_key)``.
* ``attainment(organisation_ids, since) -> dict``: met / breached / pending and the attainment rate per
  criticality (the "KPI equivalent": alert when ``rate`` falls below a threshold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.crossref.models import SyncLink
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from . import business_time
from .insight_models import (
    BusinessCalendar,
    BusinessRecord,
    SlaEvaluation,
    SlaPolicy,
    SlaStatus,
    SlaSubject,
    SlaUnit,
    TraceKey,
)

LOOKBACK = dt.timedelta(days=35)  # subjects started before this are not evaluated again
CRITICALITIES = ("critical", "high", "normal", "low")


@dataclass(frozen=True)
class Clock:
    subject_key: str
    label: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    run_id: int | None = None
    # False: the subject ended without reaching its goal (a failed run): breached once due.
    may_end: bool = True


# --- actions ----------------------------------------------------------------------------------------------


def _require(actor: Any, organisation: Organisation) -> None:
    if not can(actor, "change", organisation):
        raise PermissionDeniedError("You may not change this organisation's SLAs.")


def _validate(organisation: Organisation, data: dict[str, Any]) -> None:
    subject = data.get("subject")
    flow = data.get("flow")
    if subject == SlaSubject.FLOW_RUN and flow is None:
        raise InvalidInputError("A flow's SLA needs the flow.", field="flow")
    if flow is not None and flow.organisation_id != organisation.pk:
        raise InvalidInputError("The flow belongs to another organisation.", field="flow")
    target = data.get("target")
    if target is not None and not (Decimal("0") < Decimal(str(target)) <= Decimal("1000")):
        raise InvalidInputError("The target must be more than 0 and at most 1000.", field="target")


def save_policy(
    *, actor: Any, organisation: Organisation, policy: SlaPolicy | None = None, **data: Any
) -> SlaPolicy:
    """Create or change an SLA policy (audited); its evaluations are recomputed on the next tick."""
    _require(actor, organisation)
    current = {f: getattr(policy, f) for f in ("subject", "flow", "target")} if policy else {}
    _validate(organisation, {**current, **data})
    with transaction.atomic():
        before = _shape(policy) if policy else None
        if policy is None:
            policy = SlaPolicy(organisation=organisation)
        for key, value in data.items():
            setattr(policy, key, value)
        if policy.flow_id and policy.subject == SlaSubject.FLOW_RUN:
            policy.criticality = policy.flow.criticality
        policy.save()
        if before is not None:
            SlaEvaluation.objects.filter(policy=policy).delete()  # new terms: judge again
        record(
            AuditAction.SLA_SAVE,
            actor=actor,
            organisation=organisation,
            obj=policy,
            before=before,
            after=_shape(policy),
        )
    return policy


def delete_policy(*, actor: Any, policy: SlaPolicy) -> None:
    _require(actor, policy.organisation)
    with transaction.atomic():
        record(
            AuditAction.SLA_DELETE,
            actor=actor,
            organisation=policy.organisation_id,
            obj=policy,
            before=_shape(policy),
        )
        policy.delete()


def save_calendar(*, actor: Any, organisation: Organisation, **data: Any) -> BusinessCalendar:
    """Set the organisation's working days and hours and holiday options (audited)."""
    _require(actor, organisation)
    days = data.get("working_days")
    if days is not None and (not days or any(d not in range(7) for d in days)):
        raise InvalidInputError(
            "Pick at least one working day (0 = Monday .. 6 = Sunday).", field="working_days"
        )
    for value in data.get("extra_holidays") or []:
        try:
            dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidInputError(f"{value!r} is not a date (YYYY-MM-DD).", field="extra_holidays") from exc
    with transaction.atomic():
        calendar, _ = BusinessCalendar.objects.get_or_create(organisation=organisation)
        for key, value in data.items():
            setattr(calendar, key, value)
        if calendar.day_end <= calendar.day_start:
            raise InvalidInputError("The working day must end after it starts.", field="day_end")
        if calendar.public_holidays:
            business_time.check_country(organisation.country, calendar.subdivision)
        calendar.save()
        record(
            AuditAction.SLA_CALENDAR,
            actor=actor,
            organisation=organisation,
            obj=calendar,
            after=data | {"day_start": str(calendar.day_start), "day_end": str(calendar.day_end)},
        )
    return calendar


def _shape(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "subject": policy.subject,
        "flow": policy.flow_id,
        "target": str(policy.target),
        "unit": policy.unit,
        "enabled": policy.enabled,
    }


# --- clocks per subject -----------------------------------------------------------------------------------


def _flow_run_clocks(policy: SlaPolicy, since: dt.datetime, skip: set[str]) -> Iterable[Clock]:
    runs = (
        Run.objects.filter(flow_id=policy.flow_id, parent_run__isnull=True, created_at__gte=since)
        .values_list("id", "status", "created_at", "finished_at")
        .order_by("id")
    )
    for run_id, status, created, finished in runs.iterator(chunk_size=2000):
        key = str(run_id)
        if key in skip:
            continue
        yield Clock(
            key,
            f"Run #{run_id}",
            created,
            finished if status == RunStatus.SUCCEEDED else None,
            run_id=run_id,
            may_end=status not in (RunStatus.FAILED, RunStatus.CANCELLED),
        )


def _won_to_project_clocks(policy: SlaPolicy, since: dt.datetime, skip: set[str]) -> Iterable[Clock]:
    org = policy.organisation_id
    deals = BusinessRecord.objects.filter(
        organisation_id=org, role="crm", entity="opportunity", occurred_at__gte=since
    ).values_list("system", "external_id", "name", "occurred_at")
    deals = [d for d in deals if d[1] not in skip]
    canon = dict(
        SyncLink.objects.filter(
            organisation_id=org, entity="project", external_id__in=[d[1] for d in deals]
        ).values_list("external_id", "canonical_id")
    )
    linked_at = dict(
        SyncLink.objects.filter(organisation_id=org, entity="project", canonical_id__in=list(canon.values()))
        .exclude(external_id__in=list(canon))
        .values("canonical_id")
        .annotate(first=Min("created_at"))
        .values_list("canonical_id", "first")
    )
    for _system, ext, name, won in deals:
        yield Clock(ext, name or ext, won, linked_at.get(canon.get(ext)))


def _approved_to_invoiced_clocks(policy: SlaPolicy, since: dt.datetime, skip: set[str]) -> Iterable[Clock]:
    from .values import when

    entries = BusinessRecord.objects.filter(
        organisation_id=policy.organisation_id, role="psa", entity="time_entry", occurred_at__gte=since
    ).values_list("external_id", "name", "occurred_at", "data")
    for ext, name, approved, data in entries:
        if ext in skip or not (data or {}).get("billable"):
            continue
        yield Clock(ext, f"Time entry {ext} {name}".strip(), approved, when((data or {}).get("invoiced_at")))


def _paid_to_crm_clocks(policy: SlaPolicy, since: dt.datetime, skip: set[str]) -> Iterable[Clock]:
    from .values import when

    org = policy.organisation_id
    invoices = [
        (ext, name, when((data or {}).get("paid_at")))
        for ext, name, data in BusinessRecord.objects.filter(
            organisation_id=org, role="erp", entity="invoice", status="paid"
        ).values_list("external_id", "name", "data")
        if ext not in skip
    ]
    invoices = [i for i in invoices if i[2] and i[2] >= since]
    carried: dict[str, list[tuple[dt.datetime, int]]] = {}
    for ext, finished, run_id in TraceKey.objects.filter(
        organisation_id=org,
        external_id__in=[i[0] for i in invoices],
        run__status=RunStatus.SUCCEEDED,
    ).values_list("external_id", "run__finished_at", "run_id"):
        if finished:
            carried.setdefault(ext, []).append((finished, run_id))
    for ext, name, paid in invoices:
        after = sorted(x for x in carried.get(ext, []) if x[0] >= paid)
        yield Clock(
            ext,
            f"Invoice {name}",
            paid,
            after[0][0] if after else None,
            run_id=after[0][1] if after else None,
        )


CLOCKS = {
    SlaSubject.FLOW_RUN: _flow_run_clocks,
    SlaSubject.WON_TO_PROJECT: _won_to_project_clocks,
    SlaSubject.APPROVED_TO_INVOICED: _approved_to_invoiced_clocks,
    SlaSubject.PAID_TO_CRM: _paid_to_crm_clocks,
}


def judge(clock: Clock, due: dt.datetime, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """(status, breached_at) of one clock."""
    if clock.ended_at is not None:
        return (SlaStatus.MET, None) if clock.ended_at <= due else (SlaStatus.BREACHED, due)
    if now > due:
        return SlaStatus.BREACHED, due
    return SlaStatus.PENDING, None


def evaluate(policy: SlaPolicy, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring the policy's evaluations up to date; final ones (met, breached) are not touched again."""
    now = now or timezone.now()
    cal = business_time.calendar_for(policy.organisation)
    since = now - LOOKBACK
    existing = {
        e.subject_key: e
        for e in SlaEvaluation.objects.filter(policy=policy, started_at__gte=since - LOOKBACK)
    }
    final = {k for k, e in existing.items() if e.status != SlaStatus.PENDING}
    create, update = [], []
    counts = {"met": 0, "breached": 0, "pending": 0}
    for clock in CLOCKS[SlaSubject(policy.subject)](policy, since, final):
        due = business_time.due_at(cal, clock.started_at, policy.target, policy.unit)
        status, breached_at = judge(clock, due, now)
        counts[status] += 1
        old = existing.get(clock.subject_key)
        if old is None:
            create.append(
                SlaEvaluation(
                    policy=policy,
                    organisation_id=policy.organisation_id,
                    subject_key=clock.subject_key[:255],
                    label=clock.label[:300],
                    run_id=clock.run_id,
                    criticality=policy.criticality,
                    started_at=clock.started_at,
                    due_at=due,
                    ended_at=clock.ended_at,
                    status=status,
                    breached_at=breached_at,
                )
            )
        elif (old.status, old.ended_at, old.due_at, old.run_id) != (
            status,
            clock.ended_at,
            due,
            clock.run_id,
        ):
            old.status, old.ended_at, old.due_at, old.breached_at, old.run_id = (
                status,
                clock.ended_at,
                due,
                breached_at,
                clock.run_id,
            )
            update.append(old)
    with transaction.atomic():
        SlaEvaluation.objects.bulk_create(create, batch_size=2000, ignore_conflicts=True)
        SlaEvaluation.objects.bulk_update(
            update, ["status", "ended_at", "due_at", "breached_at", "run", "updated_at"], batch_size=2000
        )
        SlaPolicy.objects.filter(pk=policy.pk).update(evaluated_at=now)
    return counts


def evaluate_organisation(organisation_id: int, now: dt.datetime | None = None) -> int:
    policies = SlaPolicy.objects.filter(organisation_id=organisation_id, enabled=True).select_related(
        "organisation"
    )
    for policy in policies:
        evaluate(policy, now)
    return len(policies)


# --- reads for dashboards and alerts ----------------------------------------------------------------------


def breaches(organisation_id: int, since: dt.datetime) -> list[dict[str, Any]]:
    """Evaluations of the organisation that breached at or after ``since`` (see the module docstring)."""
    rows = (
        SlaEvaluation.objects.filter(
            organisation_id=organisation_id, status=SlaStatus.BREACHED, breached_at__gte=since
        )
        .select_related("policy")
        .order_by("breached_at", "id")
    )
    return [
        {
            "policy_id": e.policy_id,
            "policy": e.policy.name,
            "subject": e.policy.subject,
            "subject_key": e.subject_key,
            "label": e.label,
            "run_id": e.run_id,
            "criticality": e.criticality,
            "started_at": e.started_at,
            "due_at": e.due_at,
            "breached_at": e.breached_at,
        }
        for e in rows
    ]


def attainment(organisation_ids: Iterable[int], since: dt.datetime) -> dict[str, dict[str, Any]]:
    """Per criticality: met, breached, pending and the share met of those decided (None: nothing decided)."""
    rows = (
        SlaEvaluation.objects.filter(organisation_id__in=list(organisation_ids), started_at__gte=since)
        .values("criticality")
        .annotate(
            met=Count("id", filter=Q(status=SlaStatus.MET)),
            breached=Count("id", filter=Q(status=SlaStatus.BREACHED)),
            pending=Count("id", filter=Q(status=SlaStatus.PENDING)),
        )
    )
    out = {c: {"criticality": c, "met": 0, "breached": 0, "pending": 0, "rate": None} for c in CRITICALITIES}
    for row in rows:
        decided = row["met"] + row["breached"]
        out[row["criticality"]] = {**row, "rate": round(row["met"] / decided, 4) if decided else None}
    return out


UNITS = [u.value for u in SlaUnit]
