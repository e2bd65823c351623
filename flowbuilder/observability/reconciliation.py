"""Reconciliation reports: does one system's total agree with another's, record by record, per period?

A policy (``ReconciliationPolicy``) compares, for each closed week or month:

* ``psa_vs_erp_billing``: per PSA project, the approved billable hours and their value performed in the
  period, against the ERP's invoiced time lines of the linked ERP project for that period (an invoice's
  period is the ``YYYY-MM`` in its external id, as the billing template writes it, else its date's month);
* ``crm_vs_erp_projects``: per deal won in the period, the CRM booking against a linked ERP project.

Differences beyond the policy's tolerances (hours, money) are listed per record. A report is produced by
a Celery task (``observability.run_reconciliation``: refresh the records through the connections, then
compare), on beat after a period closes or when a person asks; reports are kept as the history.

``create_fix_job`` replays the right flow for the differing records: the policy's fix flow (started with
the differing source record as its input item, through ``execution.actions.start_run``), else the flow of
the latest run that carried the record's id (``TraceKey``), replayed on its current version.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.crossref.models import SyncLink
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunOrigin
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from .insight_models import (
    BusinessRecord,
    ReconciliationDifference,
    ReconciliationKind,
    ReconciliationPolicy,
    ReconciliationReport,
    ReportStatus,
    TraceKey,
)

ZERO = Decimal("0.00")
MAX_FIX_RUNS = 500


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The week (Monday..) or month containing ``day``, end exclusive."""
    if period == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7)
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def last_closed_period(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    start, _ = period_bounds(period, today)
    return period_bounds(period, start - dt.timedelta(days=1))


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _in_period(value: Any, start: dt.date, end: dt.date) -> bool:
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return start <= day < end


# --- comparisons ------------------------------------------------------------------------------------------


def _counterparts(org: int, entity: str, from_system: str, to_system: str) -> dict[str, str]:
    """from_system id -> to_system id of linked ``entity`` records."""
    canon = dict(
        SyncLink.objects.filter(organisation_id=org, entity=entity, system=from_system).values_list(
            "canonical_id", "external_id"
        )
    )
    return {
        canon[c]: ext
        for c, ext in SyncLink.objects.filter(
            organisation_id=org, entity=entity, system=to_system, canonical_id__in=list(canon)
        ).values_list("canonical_id", "external_id")
    }


def compare_billing(policy: ReconciliationPolicy, start: dt.date, end: dt.date) -> dict[str, Any]:
    org = policy.organisation_id
    entries = BusinessRecord.objects.filter(organisation_id=org, role="psa", entity="time_entry")
    left: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"hours": ZERO, "amount": ZERO})
    psa_system = ""
    for e in entries:
        data = e.data or {}
        if not data.get("billable") or not _in_period(data.get("date"), start, end):
            continue
        psa_system = e.system
        left[e.parent_id]["hours"] += e.hours or ZERO
        left[e.parent_id]["amount"] += e.amount or ZERO
    invoices = BusinessRecord.objects.filter(organisation_id=org, role="erp", entity="invoice")
    right: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"hours": ZERO, "amount": ZERO})
    erp_system = ""
    period_keys = _period_keys(start, end)
    for inv in invoices:
        erp_system = inv.system
        if (inv.data or {}).get("period") not in period_keys:
            continue
        right[inv.parent_id]["hours"] += inv.hours or ZERO
        right[inv.parent_id]["amount"] += _d((inv.data or {}).get("time_amount"))
    names = dict(
        BusinessRecord.objects.filter(organisation_id=org, entity="project").values_list(
            "external_id", "name"
        )
    )
    to_erp = _counterparts(org, "project", psa_system, erp_system) if psa_system and erp_system else {}
    rows = []
    matched = 0
    seen_right = set()
    for project, ours in sorted(left.items()):
        erp_project = to_erp.get(project)
        r = right.get(erp_project) if erp_project else None
        if erp_project:
            seen_right.add(erp_project)
        source = {"system": psa_system, "entity": "project", "id": project}
        label = names.get(project, project)
        if r is None:
            if ours["hours"] > policy.tolerance_hours or ours["amount"] > policy.tolerance_amount:
                kind = "missing_right" if erp_project else "not_linked"
                rows.append(_diff(project, label, kind, ours, {}, source, erp_project))
            else:
                matched += 1
            continue
        dh, da = r["hours"] - ours["hours"], r["amount"] - ours["amount"]
        if abs(dh) > policy.tolerance_hours or abs(da) > policy.tolerance_amount:
            kind = "hours" if abs(dh) > policy.tolerance_hours else "amount"
            rows.append(_diff(project, label, kind, ours, r, source, erp_project))
        else:
            matched += 1
    for erp_project, r in sorted(right.items()):
        if erp_project in seen_right or (
            r["hours"] <= policy.tolerance_hours and r["amount"] <= policy.tolerance_amount
        ):
            continue
        rows.append(
            _diff(
                erp_project,
                names.get(erp_project, erp_project),
                "missing_left",
                {},
                r,
                {"system": erp_system, "entity": "project", "id": erp_project},
                erp_project,
            )
        )
    return {
        "differences": rows,
        "matched": matched,
        "totals": {
            "left": _total(left.values()),
            "right": _total(right.values()),
            "left_label": f"{psa_system or 'PSA'} approved billable time",
            "right_label": f"{erp_system or 'ERP'} invoiced time",
        },
    }


def _period_keys(start: dt.date, end: dt.date) -> set[str]:
    keys, day = set(), start
    while day < end:
        keys.add(day.strftime("%Y-%m"))
        day += dt.timedelta(days=1)
    return keys


def compare_bookings(policy: ReconciliationPolicy, start: dt.date, end: dt.date) -> dict[str, Any]:
    org = policy.organisation_id
    deals = [
        d
        for d in BusinessRecord.objects.filter(
            organisation_id=org, role="crm", entity="opportunity", status="won"
        )
        if d.occurred_at and start <= d.occurred_at.date() < end
    ]
    erp_projects = set(
        BusinessRecord.objects.filter(organisation_id=org, role="erp", entity="project").values_list(
            "external_id", flat=True
        )
    )
    erp_system = (
        BusinessRecord.objects.filter(organisation_id=org, role="erp")
        .values_list("system", flat=True)
        .first()
        or ""
    )
    rows, matched = [], 0
    left_total = {"deals": 0, "amount": ZERO}
    right_total = {"projects": 0}
    crm_system = deals[0].system if deals else ""
    to_erp = _counterparts(org, "project", crm_system, erp_system) if crm_system and erp_system else {}
    for deal in sorted(deals, key=lambda d: d.external_id):
        left_total["deals"] += 1
        left_total["amount"] += deal.amount or ZERO
        project = to_erp.get(deal.external_id)
        ours = {"amount": deal.amount or ZERO, "won": deal.occurred_at.date().isoformat()}
        source = {"system": deal.system, "entity": "opportunity", "id": deal.external_id}
        if project and project in erp_projects:
            right_total["projects"] += 1
            matched += 1
            continue
        kind = "missing_right" if not project else "gone_right"
        rows.append(
            _diff(
                deal.external_id,
                deal.name,
                kind,
                ours,
                {"project": project} if project else {},
                source,
                project,
            )
        )
    return {
        "differences": rows,
        "matched": matched,
        "totals": {
            "left": {"deals": left_total["deals"], "amount": str(left_total["amount"])},
            "right": right_total,
            "left_label": f"{crm_system or 'CRM'} bookings",
            "right_label": f"{erp_system or 'ERP'} projects",
        },
    }


def _total(values: Any) -> dict[str, str]:
    values = list(values)
    return {
        "hours": str(sum((v["hours"] for v in values), ZERO)),
        "amount": str(sum((v["amount"] for v in values), ZERO)),
    }


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def _diff(
    key: str, label: str, kind: str, left: dict, right: dict, source: dict, counterpart: str | None
) -> dict[str, Any]:
    delta = {}
    for name in ("hours", "amount"):
        if name in left or name in right:
            lv, rv = left.get(name, ZERO), right.get(name, ZERO)
            if isinstance(lv, Decimal) or isinstance(rv, Decimal):
                delta[name] = str(_d(rv) - _d(lv))
    return {
        "key": key,
        "label": label or key,
        "kind": kind,
        "left": _json(left),
        "right": _json(right) | ({"counterpart": counterpart} if counterpart else {}),
        "delta": delta,
        "source": source,
    }


COMPARE = {ReconciliationKind.BILLING: compare_billing, ReconciliationKind.BOOKINGS: compare_bookings}


def produce(report: ReconciliationReport) -> ReconciliationReport:
    """Compare and store the report's differences (the records must be fresh: the task refreshes them)."""
    policy = report.policy
    result = COMPARE[ReconciliationKind(policy.kind)](policy, report.period_start, report.period_end)
    with transaction.atomic():
        report.differences.all().delete()
        ReconciliationDifference.objects.bulk_create(
            [
                ReconciliationDifference(
                    report=report,
                    organisation_id=report.organisation_id,
                    key=d["key"][:255],
                    label=str(d["label"])[:300],
                    kind=d["kind"],
                    left=d["left"],
                    right=d["right"],
                    delta=d["delta"],
                    source=d["source"],
                )
                for d in result["differences"]
            ]
        )
        report.totals = result["totals"]
        report.matched = result["matched"]
        report.difference_count = len(result["differences"])
        report.status = ReportStatus.DONE
        report.finished_at = timezone.now()
        report.error = ""
        report.save()
    return report


# --- actions ----------------------------------------------------------------------------------------------


def _require(actor: Any, organisation: Any, action: str = "change") -> None:
    if not can(actor, action, organisation):
        raise PermissionDeniedError("You may not do this for this organisation.")


def save_policy(
    *, actor: Any, organisation: Organisation, policy: ReconciliationPolicy | None = None, **data: Any
) -> ReconciliationPolicy:
    _require(actor, organisation)
    fix_flow = data.get("fix_flow")
    if fix_flow is not None and fix_flow.organisation_id != organisation.pk:
        raise InvalidInputError("The fix flow belongs to another organisation.", field="fix_flow")
    for name in ("tolerance_hours", "tolerance_amount"):
        if name in data and Decimal(str(data[name])) < 0:
            raise InvalidInputError("A tolerance cannot be negative.", field=name)
    with transaction.atomic():
        before = _shape(policy) if policy else None
        policy = policy or ReconciliationPolicy(organisation=organisation)
        for key, value in data.items():
            setattr(policy, key, value)
        policy.save()
        record(
            AuditAction.RECONCILIATION_SAVE,
            actor=actor,
            organisation=organisation,
            obj=policy,
            before=before,
            after=_shape(policy),
        )
    return policy


def delete_policy(*, actor: Any, policy: ReconciliationPolicy) -> None:
    _require(actor, policy.organisation)
    with transaction.atomic():
        record(
            AuditAction.RECONCILIATION_DELETE,
            actor=actor,
            organisation=policy.organisation_id,
            obj=policy,
            before=_shape(policy),
        )
        policy.delete()


def request_report(
    *, actor: Any, policy: ReconciliationPolicy, period_start: dt.date | None = None
) -> ReconciliationReport:
    """Queue a report for the period containing ``period_start`` (default: the last closed period)."""
    if actor is not None:
        _require(actor, policy.organisation, "operate")
    today = timezone.localdate()
    start, end = (
        period_bounds(policy.period, period_start)
        if period_start
        else last_closed_period(policy.period, today)
    )
    if start > today:
        raise InvalidInputError("That period has not started yet.", field="period_start")
    from flowbuilder.execution import dispatch

    with transaction.atomic():
        report = ReconciliationReport.objects.create(
            policy=policy,
            organisation_id=policy.organisation_id,
            period_start=start,
            period_end=end,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if actor is not None:
            record(
                AuditAction.RECONCILIATION_RUN,
                actor=actor,
                organisation=policy.organisation_id,
                obj=report,
                after={"policy": policy.pk, "period_start": str(start), "period_end": str(end)},
            )
        dispatch.after_commit(lambda: dispatch.send(RUN_TASK, report.pk))
    return report


RUN_TASK = "observability.run_reconciliation"


def _last_run_of(org: int, key: str) -> Run | None:
    run_id = (
        TraceKey.objects.filter(organisation_id=org, external_id=key, run__isnull=False)
        .order_by("-run_id")
        .values_list("run_id", flat=True)
        .first()
    )
    return Run.objects.select_related("flow").filter(pk=run_id).first() if run_id else None


def _source_item(org: int, source: dict[str, Any]) -> dict[str, Any]:
    rec = BusinessRecord.objects.filter(
        organisation_id=org, system=source.get("system", ""), external_id=source.get("id", "")
    ).first()
    item = {"id": source.get("id"), "system": source.get("system"), "entity": source.get("entity")}
    if rec is not None:
        item |= {"name": rec.name, "parent_id": rec.parent_id, **(rec.data or {})}
        if rec.system == "salesforce":
            item["Id"] = rec.external_id  # what the CRM trigger hands a flow
    return item


def create_fix_job(
    *, actor: Any, report: ReconciliationReport, difference_ids: list[int] | None = None
) -> list[Run]:
    """One run per unfixed differing record: the fix flow, else the last flow that handled the record."""
    _require(actor, report.organisation, "operate")
    diffs = report.differences.filter(fix_run__isnull=True)
    if difference_ids:
        diffs = diffs.filter(pk__in=difference_ids)
    diffs = list(diffs[:MAX_FIX_RUNS])
    if not diffs:
        raise InvalidInputError("No unfixed differences to fix.", field="differences")
    policy = report.policy
    started: list[Run] = []
    with transaction.atomic():
        for diff in diffs:
            if policy.fix_flow_id:
                run = run_actions.start_run(
                    actor=actor,
                    flow=policy.fix_flow,
                    input_items=[_source_item(report.organisation_id, diff.source)],
                    origin=RunOrigin.API,
                    audit=False,
                )
            else:
                last = _last_run_of(report.organisation_id, diff.source.get("id") or diff.key)
                if last is None:
                    continue
                run = run_actions.start_run(
                    actor=actor,
                    flow=last.flow,
                    input_items=last.input_items,
                    origin=RunOrigin.REPLAY,
                    replay_of=last,
                    audit=False,
                )
            diff.fix_run = run
            diff.save(update_fields=["fix_run"])
            started.append(run)
        if not started:
            raise InvalidInputError(
                "No flow to replay: set the policy's fix flow (no run has handled these records).",
                field="fix_flow",
            )
        record(
            AuditAction.RECONCILIATION_FIX,
            actor=actor,
            organisation=report.organisation_id,
            obj=report,
            after={"runs": [r.pk for r in started]},
        )
    return started


def _shape(policy: ReconciliationPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "kind": policy.kind,
        "period": policy.period,
        "tolerance_hours": str(policy.tolerance_hours),
        "tolerance_amount": str(policy.tolerance_amount),
        "fix_flow": policy.fix_flow_id,
        "enabled": policy.enabled,
    }


def due_reports(today: dt.date) -> list[ReconciliationReport]:
    """Queue the last closed period's report of every enabled policy that has none yet (beat, daily)."""
    queued = []
    for policy in ReconciliationPolicy.objects.filter(enabled=True):
        start, _end = last_closed_period(policy.period, today)
        if not ReconciliationReport.objects.filter(policy=policy, period_start=start).exists():
            queued.append(request_report(actor=None, policy=policy, period_start=start))
    return queued
