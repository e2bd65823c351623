"""The failure inbox, write side: assign, comment, snooze, resolve, and bulk actions run as batches.

Every function takes a keyword-only ``actor``, checks that the actor may operate the failure's
organisation, runs in a transaction and writes one audit row. A bulk action stores an ``InboxBatch`` with
the chosen failure ids and hands it to a Celery task (:func:`run_batch`), which works through the
failures run by run: each run is retried or replayed once, however many of its items failed, and its
failures are marked in the same transaction that creates the new run, so a redelivered task neither
loses nor doubles anything.

Revalidation is a batch too (:data:`BulkAction.REVALIDATE`): run by run, the failures are evaluated
again through the current draft or published version without side effects
(``execution.revalidate``); nothing is resolved and no run starts, the verdicts are stored on the batch.
:func:`replay_passing` then starts one replay batch over the failures that passed, on the version that
was revalidated (the draft is frozen as a test snapshot, refused if it changed since).
"""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import groupby
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.dispatch import after_commit, send
from flowbuilder.execution.models import (
    ACTIVE_RUN,
    FailureKind,
    FailureRecord,
    FailureResolution,
    FailureState,
    Run,
    RunStatus,
)
from flowbuilder.execution.revalidate import PASS, revalidate_run
from flowbuilder.flows.actions import snapshot_draft
from flowbuilder.flows.models import Flow, FlowVersion
from flowbuilder.flows.publishing import error_findings
from flowbuilder.flows.review import approval_required
from flowbuilder.planning import ExecutionPlan, build_plan
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from .inbox_models import BatchStatus, BulkAction, FailureComment, InboxBatch, RevalidateTarget

log = logging.getLogger(__name__)

RUN_BATCH = "observability.run_inbox_batch"
MAX_BATCH = 10_000
MAX_REVALIDATE = 1_000  # each verdict keeps the item's new input and diff on the batch
MAX_ERRORS_KEPT = 50
RESOLUTION_OF = {
    BulkAction.RETRY: FailureResolution.RETRIED,
    BulkAction.REPLAY_CURRENT: FailureResolution.REPLAYED,
    BulkAction.REPLAY_ORIGINAL: FailureResolution.REPLAYED,
    BulkAction.SKIP: FailureResolution.SKIPPED,
    BulkAction.CANCEL: FailureResolution.CANCELLED,
    BulkAction.RESOLVE: FailureResolution.RESOLVED,
    BulkAction.REPLAY_DRAFT: FailureResolution.REPLAYED,
}


def _check(actor: Any, failure: FailureRecord) -> None:
    if not can(actor, "operate", failure):
        raise PermissionDeniedError("You may not act on failures of this organisation.")


def _locked(failure: FailureRecord) -> FailureRecord:
    return FailureRecord.objects.select_for_update().get(pk=failure.pk)


def assign_failure(*, actor: Any, failure: FailureRecord, assignee_id: int | None) -> FailureRecord:
    """Give the failure to a person who can see its organisation (None: unassign)."""
    _check(actor, failure)
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not can(assignee, "view", failure):
            raise InvalidInputError("That person cannot see this failure's organisation.", field="assignee")
    with transaction.atomic():
        failure = _locked(failure)
        before = failure.assignee_id
        failure.assignee = assignee
        failure.save(update_fields=["assignee"])
        record(
            AuditAction.INBOX_ASSIGN,
            actor=actor,
            organisation=failure.organisation_id,
            obj=failure,
            before={"assignee": before},
            after={"assignee": assignee_id},
        )
    return failure


def comment_on_failure(*, actor: Any, failure: FailureRecord, body: str) -> FailureComment:
    _check(actor, failure)
    body = (body or "").strip()
    if not body or len(body) > 5000:
        raise InvalidInputError("Write a comment of 1 to 5,000 characters.", field="body")
    with transaction.atomic():
        comment = FailureComment.objects.create(failure=failure, author=actor, body=body)
        record(
            AuditAction.INBOX_COMMENT,
            actor=actor,
            organisation=failure.organisation_id,
            obj=failure,
            after={"comment": comment.pk},
        )
    return comment


def note_decision(*, actor: Any, failure_ids: list[int], note: str) -> int:
    """Say on these failures what a person decided about them elsewhere (a match review): the note shows
    on the record until it is replayed, and a comment keeps it in the record's history. The failures stay
    open. Returns how many were noted."""
    note = note.strip()[:500]
    with transaction.atomic():
        failures = list(
            FailureRecord.objects.select_for_update()
            .filter(pk__in=failure_ids)
            .exclude(state=FailureState.RESOLVED)
            .order_by("id")
        )
        for failure in failures:
            _check(actor, failure)
        FailureRecord.objects.filter(pk__in=[f.pk for f in failures]).update(note=note)
        author = actor if getattr(actor, "is_authenticated", False) else None
        FailureComment.objects.bulk_create(
            [FailureComment(failure=f, author=author, body=note) for f in failures]
        )
        for failure in failures:
            record(
                AuditAction.INBOX_COMMENT,
                actor=actor,
                organisation=failure.organisation_id,
                obj=failure,
                after={"note": note},
            )
    return len(failures)


def snooze_failure(*, actor: Any, failure: FailureRecord, until: datetime) -> FailureRecord:
    """Hide the failure from the open inbox until ``until`` (it comes back by itself)."""
    _check(actor, failure)
    if until <= timezone.now():
        raise InvalidInputError("Snooze until a time in the future.", field="until")
    with transaction.atomic():
        failure = _locked(failure)
        if failure.state == FailureState.RESOLVED:
            raise InvalidInputError("The failure is resolved already.", field="state")
        failure.state = FailureState.SNOOZED
        failure.snoozed_until = until
        failure.save(update_fields=["state", "snoozed_until"])
        record(
            AuditAction.INBOX_SNOOZE,
            actor=actor,
            organisation=failure.organisation_id,
            obj=failure,
            after={"until": until.isoformat()},
        )
    return failure


def resolve_failure(*, actor: Any, failure: FailureRecord) -> FailureRecord:
    _check(actor, failure)
    with transaction.atomic():
        failure = _locked(failure)
        if failure.state == FailureState.RESOLVED:
            raise InvalidInputError("The failure is resolved already.", field="state")
        _mark([failure], FailureResolution.RESOLVED, actor, None)
        record(AuditAction.INBOX_RESOLVE, actor=actor, organisation=failure.organisation_id, obj=failure)
    return failure


def _mark(failures: list[FailureRecord], resolution: str, actor: Any, new_run: Run | None) -> None:
    now = timezone.now()
    FailureRecord.objects.filter(pk__in=[f.pk for f in failures]).update(
        state=FailureState.RESOLVED,
        resolution=resolution,
        resolved_at=now,
        resolved_by=actor if getattr(actor, "is_authenticated", False) else None,
        follow_up_run=new_run,
        snoozed_until=None,
    )
    for failure in failures:
        failure.state, failure.resolution, failure.resolved_at = FailureState.RESOLVED, resolution, now
        failure.follow_up_run = new_run


# --- bulk ----------------------------------------------------------------------------------------------


def start_batch(
    *,
    actor: Any,
    organisation: Organisation,
    action: str,
    failure_ids: list[int],
    target: str = "",
    source: InboxBatch | None = None,
) -> InboxBatch:
    """Store a bulk action over these failures (the caller scoped them to what the actor may see) and
    queue it; the batch row shows its progress. A revalidation names its ``target`` (draft or published);
    a replay on the draft comes from the revalidation ``source`` (:func:`replay_passing`)."""
    if action not in BulkAction.values:
        raise InvalidInputError(f"Unknown action {action!r}.", field="action")
    if action == BulkAction.REPLAY_DRAFT and source is None:
        raise InvalidInputError(
            "Replay on the draft follows a revalidation: use Replay passing.", field="action"
        )
    if action == BulkAction.REPLAY_DRAFT:
        _refuse_draft_replay(
            FailureRecord.objects.filter(pk__in=failure_ids).values_list("flow_id", flat=True)
        )
    if action == BulkAction.REVALIDATE:
        target = target or RevalidateTarget.DRAFT
        if target not in RevalidateTarget.values:
            raise InvalidInputError("Revalidate on the draft or the published version.", field="target")
    elif target and source is None:
        raise InvalidInputError("Only a revalidation names a target version.", field="target")
    ids = sorted(set(failure_ids))
    if not ids:
        raise InvalidInputError("Choose at least one open failure.", field="failures")
    limit = MAX_REVALIDATE if action == BulkAction.REVALIDATE else MAX_BATCH
    if len(ids) > limit:
        raise InvalidInputError(f"At most {limit} failures per batch.", field="failures")
    if not can(actor, "operate", organisation):
        raise PermissionDeniedError("You may not act on failures of this organisation.")
    with transaction.atomic():
        revisions: dict[str, int] = {}
        if action == BulkAction.REVALIDATE and target == RevalidateTarget.DRAFT:
            flows = FailureRecord.objects.filter(pk__in=ids).values_list("flow_id", flat=True).distinct()
            revisions = {
                str(pk): rev
                for pk, rev in Flow.objects.filter(pk__in=list(flows)).values_list("pk", "draft_revision")
            }
        elif source is not None:
            revisions = dict(source.draft_revisions or {})
        batch = InboxBatch.objects.create(
            organisation=organisation,
            actor=actor,
            action=action,
            failure_ids=ids,
            total=len(ids),
            target=target,
            draft_revisions=revisions,
            source_batch=source,
        )
        after: dict[str, Any] = {"action": action, "failures": len(ids)}
        if target:
            after["target"] = target
        if source is not None:
            after["revalidation"] = source.pk
        record(AuditAction.INBOX_BULK, actor=actor, organisation=organisation.pk, obj=batch, after=after)
        after_commit(lambda: send(RUN_BATCH, batch.pk))
    return batch


def run_batch(batch_id: int) -> InboxBatch:
    """Work through a batch run by run, saving progress after each run (called by the Celery task)."""
    batch = InboxBatch.objects.select_related("actor").get(pk=batch_id)
    if batch.status == BatchStatus.DONE:
        return batch
    InboxBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    if batch.action == BulkAction.REVALIDATE:
        return _revalidate_batch(batch)
    actor = batch.actor
    drafts: dict[int, FlowVersion] = {}  # replay on the draft: one snapshot per flow and batch
    rows = list(
        FailureRecord.objects.filter(pk__in=batch.failure_ids)
        .order_by("run_id", "id")
        .values_list("run_id", "id")
    )
    done = len(batch.failure_ids) - len(rows)  # failures deleted since (retention): nothing left to do
    succeeded, new_runs, errors = 0, 0, []
    for run_id, group in groupby(rows, key=lambda r: r[0]):
        ids = [fid for _, fid in group]
        try:
            handled, started = _apply_to_run(actor, batch.action, run_id, ids, batch=batch, drafts=drafts)
            succeeded += handled
            new_runs += int(started)
        except (InvalidInputError, PermissionDeniedError) as exc:
            errors.append({"run": run_id, "failures": ids[:20], "message": str(exc)})
        except Exception as exc:  # one bad run must not stop the batch; it is reported on the batch
            log.exception("inbox batch %s: run %s failed", batch.pk, run_id)
            errors.append({"run": run_id, "failures": ids[:20], "message": f"Unexpected error: {exc}"})
        done += len(ids)
        InboxBatch.objects.filter(pk=batch.pk).update(
            done=done, succeeded=succeeded, new_runs=new_runs, errors=errors[:MAX_ERRORS_KEPT]
        )
    InboxBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, done=len(batch.failure_ids), finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def act_on_run_failures(*, actor: Any, action: str, run_id: int, failure_ids: list[int]) -> Run | None:
    """Apply a bulk ``action`` to some failures of one run now (not as a batch): the new run, if any.

    For one person's follow-up (a decided match review replays the item it held)."""
    if action not in BulkAction.values:
        raise InvalidInputError(f"Unknown action {action!r}.", field="action")
    handled, _ = _apply_to_run(actor, action, run_id, failure_ids)
    if not handled:
        return None
    follow_up = (
        FailureRecord.objects.filter(pk__in=failure_ids, follow_up_run__isnull=False)
        .values_list("follow_up_run", flat=True)
        .first()
    )
    return Run.objects.filter(pk=follow_up).first() if follow_up else None


def _apply_to_run(
    actor: Any,
    action: str,
    run_id: int,
    ids: list[int],
    *,
    batch: InboxBatch | None = None,
    drafts: dict[int, FlowVersion] | None = None,
) -> tuple[int, bool]:
    """Apply ``action`` to one run's failures in one transaction; (failures handled, new run started).

    Failures resolved meanwhile (by a person, or by this batch before a redelivery) are left alone.
    """
    with transaction.atomic():
        failures = list(
            FailureRecord.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(state=FailureState.RESOLVED)
            .order_by("id")
        )
        if not failures:
            return 0, False
        run = Run.objects.select_related("flow", "version").get(pk=run_id)
        if not can(actor, "operate", run.flow):
            raise PermissionDeniedError("You may not act on runs of this flow.")
        if action == BulkAction.REPLAY_DRAFT:
            version = _draft_version(actor, run.flow, batch, drafts if drafts is not None else {})
            new_run = run_actions.replay_run(actor=actor, run=run, version=version)
        else:
            new_run = _act_on_run(actor, action, run, failures)
        _mark(failures, RESOLUTION_OF[BulkAction(action)], actor, new_run)
    return len(failures), new_run is not None


def _act_on_run(actor: Any, action: str, run: Run, failures: list[FailureRecord]) -> Run | None:
    run_failed = run.status == RunStatus.FAILED and any(f.kind == FailureKind.RUN for f in failures)
    if action == BulkAction.RETRY:
        if run_failed:
            return run_actions.retry_run(actor=actor, run=run)
        return run_actions.retry_from_node(actor=actor, run=run, node_id=_first_node(run, failures))
    if action == BulkAction.REPLAY_CURRENT:
        version = run.flow.published_version
        if version is None:
            raise InvalidInputError("The flow has no published version to replay on.", field="action")
        return run_actions.replay_run(actor=actor, run=run, version=version)
    if action == BulkAction.REPLAY_ORIGINAL:
        return run_actions.replay_run(actor=actor, run=run)
    if action == BulkAction.SKIP and run_failed:
        return run_actions.skip_failed_node(actor=actor, run=run)
    if action == BulkAction.CANCEL and run.status in ACTIVE_RUN:
        run_actions.cancel_run(actor=actor, run=run)
    # skip (of items: the run went on without them), cancel (give up) and resolve: no new run.
    return None


def _first_node(run: Run, failures: list[FailureRecord]) -> str:
    """The failed node that comes first in the run's plan (retrying from it covers the later ones)."""
    order = (run.version.plan or {}).get("order") or []
    nodes = {f.node_id for f in failures if f.node_id}
    for node_id in order:
        if node_id in nodes:
            return node_id
    if not nodes:
        raise InvalidInputError("The failure names no node to retry from.", field="action")
    return sorted(nodes)[0]


DRAFT_NEEDS_REVIEW = (
    "This organisation requires approval to publish, so items cannot be replayed on an unpublished draft: "
    "publish the fix (through review) first, then replay on the published version."
)


def _refuse_draft_replay(flow_ids: Any) -> None:
    """Replaying on a draft would run an unreviewed version for real: not where four-eyes publishing is
    required (``flows.review.approval_required``, the flow's organisation or its partner)."""
    flows = Flow.objects.filter(pk__in=list(flow_ids)).select_related("organisation__parent")
    if any(approval_required(flow) for flow in flows):
        raise InvalidInputError(DRAFT_NEEDS_REVIEW, field="target")


def _draft_version(
    actor: Any, flow: Flow, batch: InboxBatch | None, drafts: dict[int, FlowVersion]
) -> FlowVersion:
    """The flow's draft frozen as a test snapshot, once per batch, if it is the draft that was revalidated
    (and the organisation does not require review to publish: checked again, the policy may have changed)."""
    if flow.pk in drafts:
        return drafts[flow.pk]
    _refuse_draft_replay([flow.pk])
    revalidated = (batch.draft_revisions if batch is not None else {}).get(str(flow.pk))
    current = Flow.objects.filter(pk=flow.pk).values_list("draft_revision", flat=True).first()
    if revalidated is None or current != revalidated:
        raise InvalidInputError(
            "The draft changed since it was revalidated; revalidate again before replaying.", field="draft"
        )
    drafts[flow.pk] = snapshot_draft(actor=actor, flow=Flow.objects.get(pk=flow.pk))
    return drafts[flow.pk]


# --- revalidation ------------------------------------------------------------------------------------------


def _revalidate_batch(batch: InboxBatch) -> InboxBatch:
    """Evaluate each run's failures again (no side effects), saving verdicts and progress after each run.

    Nothing is resolved and no run starts. A redelivered task starts over (verdicts are recomputed)."""
    rows = list(
        FailureRecord.objects.filter(pk__in=batch.failure_ids)
        .select_related("run", "run__version", "run__flow")
        .order_by("run_id", "id")
    )
    done = len(batch.failure_ids) - len(rows)
    passing, results, errors = 0, [], []
    plans: dict[int, ExecutionPlan | str] = {}
    for run_id, group in groupby(rows, key=lambda f: f.run_id):
        failures = list(group)
        run = failures[0].run
        try:
            if not can(batch.actor, "operate", run.flow):
                raise PermissionDeniedError("You may not act on runs of this flow.")
            plan = plans.get(run.flow_id)
            if plan is None:
                plan = plans[run.flow_id] = _target_plan(run.flow, batch.target)
            if isinstance(plan, str):
                verdicts = [_refused(f, plan) for f in failures]
            else:
                verdicts = revalidate_run(run, plan, failures)
        except (InvalidInputError, PermissionDeniedError) as exc:
            errors.append({"run": run_id, "failures": [f.pk for f in failures][:20], "message": str(exc)})
            verdicts = []
        except Exception as exc:  # one bad run must not stop the batch; it is reported on the batch
            log.exception("inbox revalidation %s: run %s failed", batch.pk, run_id)
            errors.append(
                {
                    "run": run_id,
                    "failures": [f.pk for f in failures][:20],
                    "message": f"Unexpected error: {exc}",
                }
            )
            verdicts = []
        results += verdicts
        passing += sum(1 for v in verdicts if v["verdict"] == PASS)
        done += len(failures)
        InboxBatch.objects.filter(pk=batch.pk).update(
            done=done, succeeded=passing, results=results, errors=errors[:MAX_ERRORS_KEPT]
        )
    InboxBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE, done=len(batch.failure_ids), finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def _target_plan(flow: Flow, target: str) -> ExecutionPlan | str:
    """The plan to revalidate on, or why there is none (said on every failure of the flow)."""
    if target == RevalidateTarget.PUBLISHED:
        version = flow.published_version
        if version is None:
            return "The flow has no published version."
        return ExecutionPlan.from_dict(version.plan)
    problems = error_findings(flow.draft_document)
    if problems:
        first = problems[0]
        where = f"{first['node_id']}: " if first.get("node_id") else ""
        return f"The draft has {len(problems)} error(s) to fix first ({where}{first.get('message')})."
    return build_plan(flow.draft_document)


def _refused(failure: FailureRecord, reason: str) -> dict[str, Any]:
    return {
        "failure": failure.pk,
        "run": failure.run_id,
        "node_id": failure.node_id,
        "node_label": failure.node_id,
        "item_index": failure.item_index,
        "verdict": "fail",
        "field": "version",
        "reason": reason,
        "checked": "",
        "input": None,
        "diff": [],
    }


def replay_passing(*, actor: Any, revalidation: InboxBatch) -> InboxBatch:
    """Replay the failures a finished revalidation found passing (and still open), on the version it
    evaluated: the published version, or the draft frozen as a test snapshot (if it did not change)."""
    if revalidation.action != BulkAction.REVALIDATE:
        raise InvalidInputError("Only a revalidation has passing failures to replay.", field="action")
    if revalidation.status != BatchStatus.DONE:
        raise InvalidInputError("The revalidation is still running.", field="status")
    passed = [r["failure"] for r in revalidation.results or [] if r.get("verdict") == PASS]
    still_open = list(
        FailureRecord.objects.filter(pk__in=passed, organisation_id=revalidation.organisation_id)
        .exclude(state=FailureState.RESOLVED)
        .values_list("pk", flat=True)
    )
    if not still_open:
        raise InvalidInputError("No failure that passed is still open.", field="results")
    action = (
        BulkAction.REPLAY_CURRENT
        if revalidation.target == RevalidateTarget.PUBLISHED
        else BulkAction.REPLAY_DRAFT
    )
    return start_batch(
        actor=actor,
        organisation=revalidation.organisation,
        action=action,
        failure_ids=still_open,
        source=revalidation,
    )
