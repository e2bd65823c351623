"""Run-data retention per organisation, and the pruning job that applies it.

Finished runs older than the organisation's ``run_days`` are deleted with their node results, events and
failures (cascade); failed runs wait ``failed_run_days``. Organisations without a policy follow
``FLOWBUILDER_RETENTION_DAYS`` / ``FLOWBUILDER_RETENTION_FAILED_DAYS``; 0 keeps data forever. Before it
deletes, the job measures the rows it is about to delete (PostgreSQL's ``pg_column_size`` of each row of
runs, node runs and events): that is the database size it saves, reported per organisation and stored on
the policy. The space is reused by PostgreSQL at once and returned to the disk by a later VACUUM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.execution.models import NodeRun, Run, RunEvent, RunStatus
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from .alert_models import RetentionPolicy

MAX_DAYS = 3650
CHUNK = 2_000


@dataclass
class PruneResult:
    organisation_id: int
    runs: int = 0
    bytes_saved: int = 0


@dataclass
class PruneReport:
    results: list[PruneResult] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return sum(r.runs for r in self.results)

    @property
    def bytes_saved(self) -> int:
        return sum(r.bytes_saved for r in self.results)


def set_policy(
    *, actor: Any, organisation: Organisation, run_days: int, failed_run_days: int
) -> RetentionPolicy:
    if not can(actor, "admin", organisation):
        raise PermissionDeniedError("Only an administrator sets how long run data is kept.")
    for name, value in (("run_days", run_days), ("failed_run_days", failed_run_days)):
        if not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise InvalidInputError(f"Give 0 (keep forever) to {MAX_DAYS} days.", field=name)
    if run_days and failed_run_days and failed_run_days < run_days:
        raise InvalidInputError(
            "Failed runs are kept at least as long as the others.", field="failed_run_days"
        )
    with transaction.atomic():
        policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(organisation=organisation)
        before = {"run_days": policy.run_days, "failed_run_days": policy.failed_run_days}
        policy.run_days, policy.failed_run_days = run_days, failed_run_days
        policy.save(update_fields=["run_days", "failed_run_days"])
        record(
            AuditAction.RETENTION_SET,
            actor=actor,
            organisation=organisation.pk,
            obj=policy,
            before=before,
            after={"run_days": run_days, "failed_run_days": failed_run_days},
        )
    return policy


def expired_runs(organisation_id: int, run_days: int, failed_days: int, now: datetime) -> QuerySet[Run]:
    """Finished top-level runs past their keep-until (sub-flow runs go with their parent)."""
    condition = Q(pk__in=[])
    if run_days:
        condition |= Q(
            status__in=[RunStatus.SUCCEEDED, RunStatus.CANCELLED],
            finished_at__lt=now - timedelta(days=run_days),
        )
    if failed_days:
        condition |= Q(status=RunStatus.FAILED, finished_at__lt=now - timedelta(days=failed_days))
    return Run.objects.filter(condition, organisation_id=organisation_id, parent_run__isnull=True)


def _bytes_of(run_ids: list[int]) -> int:
    """What the rows of these runs take (rows of runs, node runs, events), PostgreSQL only (else 0)."""
    if connection.vendor != "postgresql" or not run_ids:
        return 0
    total = 0
    with connection.cursor() as cursor:
        for model, column in ((Run, "id"), (NodeRun, "run_id"), (RunEvent, "run_id")):
            table = model._meta.db_table  # our own table names, not input
            cursor.execute(
                f"SELECT COALESCE(SUM(pg_column_size(t.*)), 0) FROM {table} t WHERE t.{column} = ANY(%s)",  # noqa: S608
                [run_ids],
            )
            total += int(cursor.fetchone()[0])
    return total


def prune_organisation(
    organisation_id: int, now: datetime | None = None, *, dry_run: bool = False
) -> PruneResult:
    now = now or timezone.now()
    policy = RetentionPolicy.objects.filter(organisation_id=organisation_id).first()
    run_days = policy.run_days if policy else int(settings.FLOWBUILDER_RETENTION_DAYS)
    failed_days = policy.failed_run_days if policy else int(settings.FLOWBUILDER_RETENTION_FAILED_DAYS)
    result = PruneResult(organisation_id)
    if not run_days and not failed_days:
        return result
    expired = expired_runs(organisation_id, run_days, failed_days, now)
    last_id = 0
    while True:
        ids = list(expired.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:CHUNK])
        if not ids:
            break
        last_id = ids[-1]
        result.bytes_saved += _bytes_of(ids)
        result.runs += len(ids)
        if not dry_run:
            with transaction.atomic():
                Run.objects.filter(pk__in=ids).delete()
    if not dry_run:
        RetentionPolicy.objects.filter(organisation_id=organisation_id).update(
            last_pruned_at=now, last_runs_deleted=result.runs, last_bytes_saved=result.bytes_saved
        )
    return result


def prune(now: datetime | None = None, *, dry_run: bool = False) -> PruneReport:
    """Every organisation (the daily beat task and ``manage.py prune_runs``)."""
    report = PruneReport()
    for org_id in Organisation.objects.order_by("id").values_list("id", flat=True):
        result = prune_organisation(org_id, now, dry_run=dry_run)
        if result.runs:
            report.results.append(result)
    return report
