"""Four-eyes publishing: a flow version goes draft -> in review -> approved -> published, or rejected.

When an organisation (or its partner) requires approval, ``flows.actions.publish_flow`` does not publish:
it freezes the document into a version ``in_review`` (:func:`submit_for_review`). A person with the
approve action decides it: :func:`approve_version` publishes it through the same path as a direct
publish (triggers follow, the audit row says so); :func:`reject_version` keeps it out for good, with a
reason. With ``require_distinct_approver`` the author cannot approve their own version. Rollbacks and
template rollouts ask for review the same way. The author is told by e-mail and by the in-app
indicator (``author_seen_at`` empty on a decided version).

A review is assigned to approvers (``FlowVersion.assignees``): the ones the author names, or by default
every active member with the approver role in the flow's organisation but the author. Assignees are
told by e-mail when it is sent (and when they are added later, :func:`assign`); the reviews page lists
what is assigned to the viewer first. Any approver may still decide; assignment says whose turn it is.
Changing the assignees is audited (``flow.review_assign``).

This is flow-version review, not the run-time approval node (``execution.approvals``).
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from flowbuilder.planning import build_plan
from flowbuilder.tenancy.governance import approval_policy
from flowbuilder.tenancy.permissions import can, organisation_ids_for

from .models import Flow, FlowVersion, VersionState
from .publishing import FlowInvalidError, error_findings, next_number, publish_version

DECIDED = (VersionState.APPROVED, VersionState.PUBLISHED, VersionState.SUPERSEDED, VersionState.REJECTED)


class ReviewOrigin:
    PUBLISH = "publish"
    ROLLBACK = "rollback"
    TEMPLATE = "template"


def approval_required(flow: Flow) -> bool:
    return approval_policy(flow.organisation).required


def submit_for_review(
    *,
    actor: Any,
    flow: Flow,
    document: dict,
    comment: str = "",
    origin: str = ReviewOrigin.PUBLISH,
    rollback_of: FlowVersion | None = None,
    assignees: list[int] | None = None,
) -> FlowVersion:
    """Freeze ``document`` into a version waiting for review (the caller checked it and the right),
    assigned to ``assignees`` (user ids; None or empty: the organisation's approvers but the author)."""
    doc = copy.deepcopy(document)
    problems = error_findings(doc)
    if problems:
        raise FlowInvalidError(problems)
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        version = FlowVersion.objects.create(
            flow=flow,
            organisation_id=flow.organisation_id,
            number=next_number(flow),
            state=VersionState.IN_REVIEW,
            document=doc,
            plan=build_plan(doc).to_dict(),
            comment=comment,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            review_origin=origin,
            rollback_of=rollback_of,
            submitted_at=timezone.now(),
        )
        author = actor if getattr(actor, "is_authenticated", False) else None
        chosen = _valid_assignees(flow, author, assignees) if assignees else default_assignees(flow, author)
        version.assignees.set(chosen)
        record(
            AuditAction.FLOW_REVIEW_SUBMIT,
            actor=actor,
            organisation=flow.organisation_id,
            obj=version,
            after={
                "flow": flow.pk,
                "version": version.number,
                "origin": origin,
                "rollback_of": rollback_of.number if rollback_of else None,
                "comment": comment,
                "assignees": sorted(u.get_username() for u in chosen),
            },
        )
        _tell_assignees(version, chosen)
    return version


def default_assignees(flow: Flow, author: Any) -> list[Any]:
    """Every active member with the approver role in the flow's organisation, but the author."""
    from django.contrib.auth import get_user_model

    from flowbuilder.tenancy.models import Membership
    from flowbuilder.tenancy.roles import Role

    ids = Membership.objects.filter(
        organisation_id=flow.organisation_id, role=Role.APPROVER, is_active=True, user__is_active=True
    ).values_list("user_id", flat=True)
    users = get_user_model().objects.filter(pk__in=ids).order_by("username")
    return [u for u in users if u.pk != getattr(author, "pk", None)]


def _valid_assignees(flow: Flow, author: Any, user_ids: list[int]) -> list[Any]:
    """The users named, each one who may decide this flow's reviews (and not the author under the
    four-eyes rule); InvalidInputError naming ``assignees`` otherwise."""
    from django.contrib.auth import get_user_model

    wanted = sorted({int(i) for i in user_ids})
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=wanted, is_active=True)}
    distinct = approval_policy(flow.organisation).distinct_approver
    bad = [
        i
        for i in wanted
        if i not in users
        or not can(users[i], "approve", flow)
        or (distinct and author is not None and i == author.pk)
    ]
    if bad:
        raise InvalidInputError(
            f"User(s) {', '.join(map(str, bad))} cannot decide this review: assign approvers of the "
            "flow's organisation (not the author).",
            field="assignees",
        )
    return [users[i] for i in wanted]


def assign(*, actor: Any, version: FlowVersion, assignees: list[int]) -> FlowVersion:
    """Set who is asked to decide a version in review (empty: back to the default approvers). Its author
    and anyone who may decide it may do so; the newly assigned are told by e-mail."""
    with transaction.atomic():
        version = (
            FlowVersion.objects.select_for_update(of=("self",))
            .select_related("flow__organisation")
            .get(pk=version.pk)
        )
        is_author = version.created_by_id is not None and version.created_by_id == getattr(actor, "pk", None)
        if not (is_author or can(actor, "approve", version.flow)):
            raise PermissionDeniedError(
                "Only the author and approvers change who reviews a version.", field="assignees"
            )
        if version.state != VersionState.IN_REVIEW:
            raise ConflictError(
                f"Version {version.number} is {version.get_state_display().lower()}, not in review."
            )
        before = list(version.assignees.order_by("username"))
        author = version.created_by
        chosen = (
            _valid_assignees(version.flow, author, assignees)
            if assignees
            else default_assignees(version.flow, author)
        )
        version.assignees.set(chosen)
        names = sorted(u.get_username() for u in chosen)
        record(
            AuditAction.FLOW_REVIEW_ASSIGN,
            actor=actor,
            organisation=version.organisation_id,
            obj=version,
            before={"assignees": [u.get_username() for u in before]},
            after={"assignees": names, "version": version.number},
        )
        old = {u.pk for u in before}
        _tell_assignees(version, [u for u in chosen if u.pk not in old])
    return version


def _tell_assignees(version: FlowVersion, users: list[Any]) -> None:
    """E-mail the assignees after the commit, as the author is told of the decision."""
    to = [u.email for u in users if u.email]
    if not to:
        return
    flow_name, number = version.flow.name, version.number
    who = version.created_by.get_username() if version.created_by_id else "someone"
    body = f"{who} asks you to review version {number} of {flow_name}."
    if version.comment:
        body += f"\n\nComment: {version.comment}"
    subject = f"Review {flow_name} v{number}"
    # One message each: assignees do not see each other's addresses.
    transaction.on_commit(lambda: [send_mail(subject, body, None, [a], fail_silently=True) for a in to])


def assigned_to(user: Any, queryset: QuerySet) -> QuerySet:
    """Versions in review assigned to this user."""
    return queryset.filter(state=VersionState.IN_REVIEW, assignees=user)


def _decidable(actor: Any, version: FlowVersion) -> None:
    if not can(actor, "approve", version.flow):
        raise PermissionDeniedError("Only approvers and admins decide flow reviews.", field="decision")
    if version.state != VersionState.IN_REVIEW:
        raise ConflictError(
            f"Version {version.number} is {version.get_state_display().lower()}, not in review."
        )
    policy = approval_policy(version.flow.organisation)
    if policy.distinct_approver and version.created_by_id == getattr(actor, "pk", None):
        raise PermissionDeniedError(
            "You wrote this version: another person must approve it (four-eyes rule).", field="decision"
        )


def approve_version(*, actor: Any, version: FlowVersion, reason: str = "") -> FlowVersion:
    """Approve a version in review and publish it (what is live becomes this version)."""
    with transaction.atomic():
        version = (
            FlowVersion.objects.select_for_update(of=("self",))
            .select_related("flow__organisation")
            .get(pk=version.pk)
        )
        _decidable(actor, version)
        problems = error_findings(version.document)
        if problems:  # node types or schemas changed since it was sent: it would not run
            raise FlowInvalidError(problems)
        now = timezone.now()
        version.state = VersionState.APPROVED
        version.reviewed_by = actor
        version.reviewed_at = now
        version.review_reason = reason
        version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
        record(
            AuditAction.FLOW_REVIEW_APPROVE,
            actor=actor,
            organisation=version.organisation_id,
            obj=version,
            before={"state": VersionState.IN_REVIEW},
            after={"state": VersionState.APPROVED, "version": version.number, "reason": reason},
        )
        publish_version(actor=actor, flow=version.flow, version=version)
        _tell_author(version, approved=True)
    version.refresh_from_db()
    return version


def reject_version(*, actor: Any, version: FlowVersion, reason: str) -> FlowVersion:
    """Reject a version in review: it never publishes. The reason is required (the author reads it)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("Say why you reject it: the author reads the reason.", field="reason")
    with transaction.atomic():
        version = (
            FlowVersion.objects.select_for_update(of=("self",))
            .select_related("flow__organisation")
            .get(pk=version.pk)
        )
        if not can(actor, "approve", version.flow):
            raise PermissionDeniedError("Only approvers and admins decide flow reviews.", field="decision")
        if version.state != VersionState.IN_REVIEW:
            raise ConflictError(
                f"Version {version.number} is {version.get_state_display().lower()}, not in review."
            )
        version.state = VersionState.REJECTED
        version.reviewed_by = actor
        version.reviewed_at = timezone.now()
        version.review_reason = reason
        version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
        record(
            AuditAction.FLOW_REVIEW_REJECT,
            actor=actor,
            organisation=version.organisation_id,
            obj=version,
            before={"state": VersionState.IN_REVIEW},
            after={"state": VersionState.REJECTED, "version": version.number, "reason": reason},
        )
        _tell_author(version, approved=False)
    return version


def mark_seen(*, actor: Any, version: FlowVersion) -> FlowVersion:
    """The author has read the decision: it leaves their in-app indicator (not audited: no change to
    the flow, only to what the author's badge counts)."""
    if version.created_by_id != getattr(actor, "pk", None):
        raise PermissionDeniedError("Only the version's author marks its decision as read.")
    FlowVersion.objects.filter(pk=version.pk, author_seen_at__isnull=True).update(
        author_seen_at=timezone.now()
    )
    version.refresh_from_db(fields=["author_seen_at"])
    return version


def _tell_author(version: FlowVersion, *, approved: bool) -> None:
    """E-mail the author after the decision commits (the in-app indicator needs nothing more)."""
    author = version.created_by
    if author is None or not author.email or author.pk == getattr(version.reviewed_by, "pk", None):
        return
    flow_name, number, who, reason = (
        version.flow.name,
        version.number,
        version.reviewed_by.get_username() if version.reviewed_by else "someone",
        version.review_reason,
    )
    verdict = "approved and published" if approved else "rejected"
    body = f"{who} {verdict} version {number} of {flow_name}."
    if reason:
        body += f"\n\nReason: {reason}"
    transaction.on_commit(
        lambda: send_mail(f"{flow_name} v{number} {verdict}", body, None, [author.email], fail_silently=True)
    )


def waiting_for(user: Any, queryset: QuerySet) -> QuerySet:
    """Versions in review this user may decide (an approver elsewhere, and not the author where the
    four-eyes rule applies)."""
    qs = queryset.filter(
        state=VersionState.IN_REVIEW, organisation_id__in=organisation_ids_for(user, "approve")
    )
    ids = [
        v.pk
        for v in qs.select_related("flow__organisation__parent")
        if not (approval_policy(v.flow.organisation).distinct_approver and v.created_by_id == user.pk)
    ]
    return queryset.filter(pk__in=ids)


def unseen_decisions(user: Any, queryset: QuerySet) -> QuerySet:
    """The user's versions decided since they last looked (the in-app indicator)."""
    return queryset.filter(created_by=user, reviewed_at__isnull=False, author_seen_at__isnull=True)
