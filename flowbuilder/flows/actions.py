"""Every change to a flow: create, save draft, publish, import/export, rename, delete.

Each function takes a keyword-only ``actor``, checks the actor may act, runs in one transaction and
writes the audit row with the change.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from flowbuilder.planning import build_plan
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from . import review
from .models import Flow, FlowVersion, PinnedData, VersionState, empty_document
from .publishing import (
    FlowInvalidError,
    all_findings,
    draft_findings,
    error_findings,
    next_number,
    publish_version,
)

__all__ = [
    "FlowInvalidError",
    "all_findings",
    "draft_findings",
    "error_findings",
    "publish_flow",
    "next_number",
]

EXPORT_FORMAT = "flowbuilder.flow/v1"


def _require(actor: Any, action: str, obj: Any) -> None:
    if not can(actor, action, obj):
        raise PermissionDeniedError(f"You may not {action} this {obj._meta.verbose_name}.")


def create_flow(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    description: str = "",
    tags: list[str] | None = None,
    document: dict | None = None,
    audit_action: AuditAction = AuditAction.FLOW_CREATE,
) -> Flow:
    _require(actor, "change", organisation)
    with transaction.atomic():
        flow = Flow.objects.create(
            organisation=organisation,
            name=name,
            description=description,
            tags=tags or [],
            created_by=actor,
            draft_document=document or empty_document(),
            draft_saved_by=actor,
            draft_saved_at=timezone.now(),
        )
        record(audit_action, actor=actor, organisation=organisation, obj=flow, after={"name": name})
    return flow


UPDATABLE = {"name", "description", "tags", "criticality", "max_concurrent_runs", "is_default_error_flow"}


def update_flow(*, actor: Any, flow: Flow, **fields: Any) -> Flow:
    """Change a flow's name, description, tags and operations settings (criticality, concurrency limit,
    error flow, whether it is the organisation's default error flow)."""
    _require(actor, "change", flow)
    allowed = {k: v for k, v in fields.items() if k in UPDATABLE}
    if "error_flow" in fields:
        allowed["error_flow_id"] = _error_flow_id(flow, fields["error_flow"])
    with transaction.atomic():
        if allowed.get("is_default_error_flow"):
            # One default per organisation: taking it over clears the previous one.
            Flow.objects.filter(organisation_id=flow.organisation_id, is_default_error_flow=True).exclude(
                pk=flow.pk
            ).update(is_default_error_flow=False)
        before = {k: getattr(flow, k) for k in allowed}
        for key, value in allowed.items():
            setattr(flow, key, value)
        flow.save(update_fields=[*allowed, "updated_at"])
        record(
            AuditAction.FLOW_UPDATE,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            before=before,
            after=allowed,
        )
    return flow


def _error_flow_id(flow: Flow, value: Any) -> int | None:
    if value in (None, ""):
        return None
    target = Flow.objects.filter(pk=value, organisation_id=flow.organisation_id).first()
    if target is None or target.pk == flow.pk:
        raise InvalidInputError(
            "Pick another flow of the same organisation as the error flow.", field="error_flow"
        )
    return target.pk


def delete_flow(*, actor: Any, flow: Flow) -> None:
    _require(actor, "change", flow)
    with transaction.atomic():
        record(
            AuditAction.FLOW_DELETE,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            before={"name": flow.name},
        )
        # Runs pin versions (PROTECT); the flow's run history goes with it, then versions cascade.
        flow.runs.all().delete()
        flow.delete()


def save_draft(
    *, actor: Any, flow: Flow, document: dict, revision: int | None, force: bool = False
) -> tuple[Flow, list[dict[str, Any]]]:
    """Save the working copy. A stale ``revision`` raises ConflictError naming who saved last.

    Returns the flow and the draft's findings (:func:`draft_findings`: a shared template parameter that
    another copy of the customer sets otherwise is a warning here, an error at publish)."""
    _require(actor, "change", flow)
    now = timezone.now()
    with transaction.atomic():
        query = Flow.objects.filter(pk=flow.pk)
        if not force:
            query = query.filter(draft_revision=revision)
        updated = query.update(
            draft_document=document,
            draft_revision=F("draft_revision") + 1,
            draft_saved_by=actor,
            draft_saved_at=now,
            updated_at=now,
        )
        if not updated:
            current = Flow.objects.select_related("draft_saved_by").get(pk=flow.pk)
            who = current.draft_saved_by.get_username() if current.draft_saved_by else "someone"
            conflict = ConflictError(
                f"{who} saved this flow at {current.draft_saved_at:%H:%M:%S} "
                f"(revision {current.draft_revision}); reload to see their changes or overwrite them.",
                hint="reload or overwrite",
            )
            conflict.current = current  # type: ignore[attr-defined]
            raise conflict
        flow.refresh_from_db()
        record(
            AuditAction.FLOW_SAVE_DRAFT,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            after={"revision": flow.draft_revision, "nodes": len(document.get("nodes", []))},
        )
    return flow, draft_findings(flow, document, actor)


def publish_flow(
    *,
    actor: Any,
    flow: Flow,
    comment: str = "",
    document: dict | None = None,
    rollback_to: FlowVersion | None = None,
    assignees: list[int] | None = None,
) -> FlowVersion:
    """Freeze the draft (or ``document``, or the older version ``rollback_to``) into a new published
    version with its execution plan.

    Where the organisation (or its partner) requires four-eyes publishing, nothing goes live: the new
    version waits in review (``flows.review``) and is returned in state ``in_review``. A rollback
    takes the same path: it is a new version with the older version's document. ``assignees`` (user
    ids) are who is asked to review it; none: the organisation's approvers.
    """
    _require(actor, "publish", flow)
    if rollback_to is not None:
        if rollback_to.flow_id != flow.pk or rollback_to.state in (
            VersionState.SNAPSHOT,
            VersionState.IN_REVIEW,
        ):
            raise InvalidInputError("Roll back to an earlier version of this flow.", field="rollback_to")
        if rollback_to.state == VersionState.REJECTED:
            raise InvalidInputError("A rejected version is never published.", field="rollback_to")
        document = rollback_to.document
        comment = comment or f"rollback to v{rollback_to.number}"
    doc = copy.deepcopy(document if document is not None else flow.draft_document)
    if review.approval_required(flow):
        origin = review.ReviewOrigin.ROLLBACK if rollback_to else review.ReviewOrigin.PUBLISH
        return review.submit_for_review(
            actor=actor,
            flow=flow,
            document=doc,
            comment=comment,
            origin=origin,
            rollback_of=rollback_to,
            assignees=assignees,
        )
    problems = error_findings(doc)
    if problems:
        raise FlowInvalidError(problems)
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        version = FlowVersion.objects.create(
            flow=flow,
            organisation_id=flow.organisation_id,
            number=next_number(flow),
            state=VersionState.APPROVED,
            document=doc,
            plan=build_plan(doc).to_dict(),
            comment=comment,
            created_by=actor,
            rollback_of=rollback_to,
        )
        publish_version(actor=actor, flow=flow, version=version, comment=comment)
    version.refresh_from_db()
    return version


def snapshot_draft(*, actor: Any, flow: Flow) -> FlowVersion:
    """Freeze the current draft for a test run from the editor (not a published version)."""
    _require(actor, "run", flow)
    doc = copy.deepcopy(flow.draft_document)
    problems = error_findings(doc)
    if problems:
        raise FlowInvalidError(problems)
    return FlowVersion.objects.create(
        flow=flow,
        organisation_id=flow.organisation_id,
        number=0,
        state=VersionState.SNAPSHOT,
        document=doc,
        plan=build_plan(doc).to_dict(),
        comment="test run from the editor",
        created_by=actor,
    )


def export_flow(flow: Flow) -> dict[str, Any]:
    """Portable JSON: the draft and the published document. Never contains secrets or tokens."""
    return {
        "format": EXPORT_FORMAT,
        "name": flow.name,
        "description": flow.description,
        "tags": flow.tags,
        "document": flow.draft_document,
        "published_document": flow.published_version.document if flow.published_version else None,
    }


def import_flow(*, actor: Any, organisation: Organisation, data: Any) -> Flow:
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidInputError(f"Not a Flowbuilder export: expected format {EXPORT_FORMAT!r}.", field="data")
    document = data.get("document")
    if not isinstance(document, dict):
        raise InvalidInputError("The export has no flow document.", field="data.document")
    name = str(data.get("name") or "Imported flow")[:200]
    tags = [str(t)[:50] for t in data.get("tags") or [] if isinstance(t, str | int)]
    # One mutation, one audit row: the create is recorded as the import.
    return create_flow(
        actor=actor,
        organisation=organisation,
        name=name,
        description=str(data.get("description") or ""),
        tags=tags,
        document=document,
        audit_action=AuditAction.FLOW_IMPORT,
    )


# --- pinned data (the draft's sample items per node) ---------------------------------------------------

MAX_PINNED_ITEMS = 100
_NODE_ID = re.compile(r"[\w.-]{1,100}")


def draft_node_ids(flow: Flow) -> set[str]:
    return {str(n.get("id")) for n in (flow.draft_document or {}).get("nodes", []) if isinstance(n, dict)}


def pin_node_data(*, actor: Any, flow: Flow, node_id: str, items: list[dict[str, Any]]) -> PinnedData:
    """Pin sample items on one node of the draft (replacing any earlier pin of that node).

    The node need not be saved in the draft yet: the editor pins while its autosave is still pending.
    A pin of a node the draft does not have is kept but never used (:func:`draft_pins`)."""
    _require(actor, "change", flow)
    if not _NODE_ID.fullmatch(node_id):
        raise InvalidInputError("A node id is 1-100 letters, digits, '_', '-' or '.'.", field="node_id")
    if len(items) > MAX_PINNED_ITEMS:
        raise InvalidInputError(f"Pin at most {MAX_PINNED_ITEMS} items.", field="items")
    with transaction.atomic():
        pin, created = PinnedData.objects.update_or_create(
            flow=flow,
            node_id=node_id,
            defaults={"organisation_id": flow.organisation_id, "items": items, "pinned_by": actor},
        )
        record(
            AuditAction.FLOW_PIN_DATA,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            after={"node_id": node_id, "items": len(items), "replaced": not created},
        )
    return pin


def unpin_node_data(*, actor: Any, flow: Flow, node_id: str) -> bool:
    """Remove a node's pinned items; idempotent (False when nothing was pinned)."""
    _require(actor, "change", flow)
    with transaction.atomic():
        deleted, _ = PinnedData.objects.filter(flow=flow, node_id=node_id).delete()
        if deleted:
            record(
                AuditAction.FLOW_UNPIN_DATA,
                actor=actor,
                organisation=flow.organisation_id,
                obj=flow,
                before={"node_id": node_id},
            )
    return bool(deleted)


def draft_pins(flow: Flow) -> dict[str, list[dict[str, Any]]]:
    """node id -> pinned items, for the nodes still in the draft (a deleted node's pin is ignored)."""
    nodes = draft_node_ids(flow)
    return {
        p.node_id: list(p.items)
        for p in PinnedData.objects.filter(flow=flow).only("node_id", "items")
        if p.node_id in nodes
    }


# --- version history -------------------------------------------------------------------------------------


def restore_version(*, actor: Any, flow: Flow, version: FlowVersion) -> Flow:
    """Make an earlier version's document the draft again (a new draft revision; nothing is published)."""
    _require(actor, "change", flow)
    if version.flow_id != flow.pk or version.state == VersionState.SNAPSHOT:
        raise InvalidInputError("Pick a published version of this flow.", field="version")
    now = timezone.now()
    with transaction.atomic():
        before = flow.draft_revision
        Flow.objects.filter(pk=flow.pk).update(
            draft_document=copy.deepcopy(version.document),
            draft_revision=F("draft_revision") + 1,
            draft_saved_by=actor,
            draft_saved_at=now,
            updated_at=now,
        )
        flow.refresh_from_db()
        record(
            AuditAction.FLOW_RESTORE_VERSION,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            before={"revision": before},
            after={"revision": flow.draft_revision, "restored_version": version.number},
        )
    return flow
