"""Making a version live: the one path every publish takes (direct, after review, rollback).

``publish_version`` supersedes what was live, points the flow at the version, runs the publish hooks
(triggers follow) and writes the ``flow.publish`` audit row, inside the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError
from flowbuilder.validation import validate_document

from . import hooks, references, shared_values
from .models import Flow, FlowVersion, Release, VersionState


class FlowInvalidError(InvalidInputError):
    """Publishing refused: the document has error findings."""

    def __init__(self, findings: list[dict[str, Any]], message: str | None = None) -> None:
        default = f"The flow has {len(findings)} problem(s); fix the nodes marked red, then publish again."
        super().__init__(message or default, field="document")
        self.findings = findings


def error_findings(document: Any) -> list[dict[str, Any]]:
    return [f.as_dict() for f in validate_document(document) if f.severity == "error"]


def all_findings(document: Any) -> list[dict[str, Any]]:
    return [f.as_dict() for f in validate_document(document)]


def draft_findings(flow: Flow, document: Any, viewer: Any = None) -> list[dict[str, Any]]:
    """What the editor shows ``viewer`` while ``document`` is ``flow``'s draft: every validation finding,
    and as warnings what only the publish refuses because of the flow's place in its customer (a shared
    template parameter another copy sets otherwise, :mod:`.shared_values`)."""
    found = all_findings(document)
    if isinstance(document, dict):
        found += shared_values.findings_while_editing(flow, document, viewer)
    return found


def review_findings(flow: Flow, document: Any, viewer: Any = None) -> list[dict[str, Any]]:
    """What the approver of ``document`` (a version of ``flow`` in review) sees: every validation finding,
    and as errors what would refuse its publish when approved (a shared template parameter another copy
    of the customer sets otherwise)."""
    found = all_findings(document)
    if isinstance(document, dict):
        found += shared_values.findings_before_publish(flow, document, viewer)
    return found


def next_number(flow: Flow) -> int:
    top = flow.versions.exclude(state=VersionState.SNAPSHOT).aggregate(m=Max("number"))["m"]
    return (top or 0) + 1


def publish_version(*, actor: Any, flow: Flow, version: FlowVersion, comment: str | None = None) -> None:
    """Make ``version`` (approved, or created for a direct publish) the flow's live version.

    Call inside a transaction holding the flow's row lock.
    """
    references.check_before_publish(flow, version.document)  # a template copy's ERP ids must exist
    shared = shared_values.findings_before_publish(flow, version.document)  # its twin's field owners
    if shared:
        raise FlowInvalidError(shared, "Not published: " + " ".join(f["message"] for f in shared))
    previous = flow.published_version
    if previous is not None and previous.pk != version.pk:
        FlowVersion.objects.filter(pk=previous.pk).update(state=VersionState.SUPERSEDED)
    FlowVersion.objects.filter(pk=version.pk).update(state=VersionState.PUBLISHED)
    version.state = VersionState.PUBLISHED
    if flow.organisation.environments_enabled and not version.environment:
        FlowVersion.objects.filter(pk=version.pk).update(environment="prod")
        version.environment = "prod"
    flow.published_version = version
    flow.save(update_fields=["published_version", "updated_at"])
    if flow.organisation.environments_enabled:  # the prod release is the published version
        Release.objects.update_or_create(
            flow=flow,
            environment="prod",
            defaults={
                "organisation_id": flow.organisation_id,
                "version": version,
                "released_by": actor if getattr(actor, "is_authenticated", False) else None,
                "released_at": timezone.now(),
            },
        )
    # Outer apps follow the published version in this transaction (triggers sync their rows).
    hooks.published(flow=flow, version=version)
    after: dict[str, Any] = {
        "version": version.number,
        "comment": version.comment if comment is None else comment,
    }
    if version.rollback_of_id:
        after["rollback_of"] = version.rollback_of.number
    if version.reviewed_by_id:
        after["approved_by"] = version.reviewed_by.get_username()
    record(
        AuditAction.FLOW_PUBLISH,
        actor=actor,
        organisation=flow.organisation_id,
        obj=flow,
        before={"version": previous.number if previous else None},
        after=after,
    )
