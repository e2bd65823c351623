"""Beat's ``tenancy.prune_audit``: apply each organisation's audit retention (unlimited by default)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from flowbuilder.audit.actions import prune_organisation

from .models import Organisation


@shared_task(name="tenancy.prune_audit", ignore_result=True)
def prune_audit() -> int:
    """Prune rows older than each organisation's ``audit_retention_days``; organisations without a
    retention keep everything. Returns how many rows were pruned."""
    now = timezone.now()
    pruned = 0
    for org_id, days in Organisation.objects.filter(audit_retention_days__isnull=False).values_list(
        "id", "audit_retention_days"
    ):
        pruned += prune_organisation(org_id, older_than=now - timedelta(days=days))
    return pruned
