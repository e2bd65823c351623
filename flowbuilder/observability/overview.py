"""A partner's one-page view of its customers: flows, runs and health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import organisation_ids_for


def health_of(failed: int, total: int) -> str:
    if total == 0:
        return "idle"
    rate = failed / total
    return "healthy" if rate == 0 else ("degraded" if rate < 0.2 else "failing")


def partner_overview(user: Any, partner: Organisation, *, hours: int = 24) -> list[dict[str, Any]]:
    """One row per customer the user may see: flow counts, runs in the window by status, last failure."""
    visible = organisation_ids_for(user, "view")
    customers = Organisation.objects.filter(parent=partner, id__in=visible).order_by("name")
    since = timezone.now() - timedelta(hours=hours)
    flows = {
        row["organisation_id"]: row
        for row in Flow.objects.filter(organisation__in=customers)
        .values("organisation_id")
        .annotate(flows=Count("id"), published=Count("id", filter=Q(published_version__isnull=False)))
    }
    runs = {
        row["organisation_id"]: row
        for row in Run.objects.filter(
            organisation__in=customers, created_at__gte=since, parent_run__isnull=True
        )
        .values("organisation_id")
        .annotate(
            total=Count("id"),
            succeeded=Count("id", filter=Q(status=RunStatus.SUCCEEDED)),
            failed=Count("id", filter=Q(status=RunStatus.FAILED)),
            running=Count(
                "id", filter=Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING])
            ),
            last_run_at=Max("created_at"),
            last_failure_at=Max("created_at", filter=Q(status=RunStatus.FAILED)),
        )
    }
    result = []
    for customer in customers:
        f = flows.get(customer.id, {})
        r = runs.get(customer.id, {})
        result.append(
            {
                "organisation": {"id": customer.id, "name": customer.name, "slug": customer.slug},
                "flows": f.get("flows", 0),
                "published_flows": f.get("published", 0),
                "runs": {k: r.get(k, 0) for k in ("total", "succeeded", "failed", "running")},
                "last_run_at": r.get("last_run_at"),
                "last_failure_at": r.get("last_failure_at"),
                "health": health_of(r.get("failed", 0), r.get("total", 0)),
            }
        )
    return result
