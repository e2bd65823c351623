"""Celery tasks of operational intelligence: ids in, work done here (never in a request).

Beat sends ``observability.rollup_dashboards`` every minute, ``observability.refresh_and_compute`` every 15
minutes (read the systems, then KPIs and SLAs of every organisation with systems or policies) and
``observability.queue_due_reconciliations`` hourly; a person's "refresh" and "run report" send the same
tasks for one organisation or report.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from flowbuilder.execution.dispatch import send

from . import dashboards, kpis, reconciliation, records, sla
from .insight_models import (
    BusinessSystems,
    KpiDefinition,
    ReconciliationReport,
    ReportStatus,
    SlaPolicy,
)

log = logging.getLogger(__name__)

REFRESH_ORGANISATION = "observability.refresh_organisation"


@shared_task(name="observability.rollup_dashboards", ignore_result=True)
def rollup_dashboards() -> dict:
    return dashboards.rollup()


@shared_task(name="observability.refresh_and_compute", ignore_result=True)
def refresh_and_compute() -> int:
    """Fan out one task per organisation that has systems, KPIs or SLA policies."""
    orgs = (
        set(BusinessSystems.objects.values_list("organisation_id", flat=True))
        | set(KpiDefinition.objects.filter(enabled=True).values_list("organisation_id", flat=True))
        | set(SlaPolicy.objects.filter(enabled=True).values_list("organisation_id", flat=True))
    )
    for org in sorted(orgs):
        send(REFRESH_ORGANISATION, org)
    return len(orgs)


@shared_task(name=REFRESH_ORGANISATION, ignore_result=True)
def refresh_organisation(organisation_id: int) -> None:
    """Read the organisation's systems through its connections, then compute its KPIs and SLAs."""
    records.refresh(organisation_id)
    kpis.compute_organisation(organisation_id)
    sla.evaluate_organisation(organisation_id)


@shared_task(name="observability.queue_due_reconciliations", ignore_result=True)
def queue_due_reconciliations() -> int:
    return len(reconciliation.due_reports(timezone.localdate()))


@shared_task(name=reconciliation.RUN_TASK, ignore_result=True)
def run_reconciliation(report_id: int) -> None:
    report = ReconciliationReport.objects.select_related("policy").filter(pk=report_id).first()
    if report is None or report.status == ReportStatus.DONE:
        return
    ReconciliationReport.objects.filter(pk=report_id).update(status=ReportStatus.RUNNING)
    try:
        records.refresh(report.organisation_id)
        reconciliation.produce(report)
    except Exception as exc:
        log.exception("reconciliation report %s failed", report_id)
        ReconciliationReport.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
