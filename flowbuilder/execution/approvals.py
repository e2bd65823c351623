"""Approvals: a person decides what a run waits for (the approval node), from the inbox, the API or e-mail.

The approval node opens a request through ``ctx.approvals`` (:class:`RunApprovals`) and parks its run. A
decision (:func:`decide`, or :func:`decide_by_link` for the signed single-use e-mail link) is audited and
resumes the node with the decision; the node routes its items to its approved, rejected or timed-out port.
A request that times out is escalated or expired by the node itself when its timer wakes it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.nodes.base import ApprovalSpec
from flowbuilder.tenancy.models import Membership
from flowbuilder.tenancy.permissions import organisation_ids_for, roles_in
from flowbuilder.tenancy.roles import Role

from . import waits
from .models import ApprovalRequest, ApprovalStatus, Run

log = logging.getLogger(__name__)

LINK_SALT = "flowbuilder.execution.approval-link"
LINK_MAX_AGE_S = 30 * 24 * 3600
DEFAULT_ROLES = [Role.APPROVER, Role.ADMIN]
DECISIONS = ("approve", "reject")


# --- opened by the approval node (through ctx.approvals) ---------------------------------------------


class RunApprovals:
    """The approval capability a node gets: open, escalate and expire the request of its (run, node)."""

    def __init__(self, run: Run, node_id: str) -> None:
        self.run, self.node_id = run, node_id

    def open(self, spec: ApprovalSpec) -> int:
        return open_request(self.run, self.node_id, spec)

    def escalate(self, request_id: int, *, roles: list[str], users: list[str], due_at: Any) -> None:
        escalate(request_id, roles=roles, users=users, due_at=due_at)

    def expire(self, request_id: int) -> None:
        expire(request_id)


def open_request(run: Run, node_id: str, spec: ApprovalSpec) -> int:
    """Create the request for (run, node) once (a resumed or redelivered node gets the same one)."""
    with transaction.atomic():
        request, created = ApprovalRequest.objects.get_or_create(
            run=run,
            node_id=node_id,
            defaults={
                "organisation_id": run.organisation_id,
                "title": spec.title[:300],
                "assignee_roles": list(spec.assignee_roles) or ([] if spec.assignee_users else DEFAULT_ROLES),
                "items": spec.items,
                "columns": spec.columns,
                "totals": spec.totals,
                "editable_fields": spec.editable_fields,
                "due_at": spec.due_at,
                "link_nonce": secrets.token_urlsafe(16),
            },
        )
        if created:
            request.assignee_users.set(_users(run.organisation_id, spec.assignee_users))
            record(
                AuditAction.APPROVAL_REQUEST,
                actor="system",
                organisation=run.organisation_id,
                obj=request,
                after={"run_id": run.pk, "node_id": node_id, "title": request.title},
            )
            transaction.on_commit(lambda: notify_assignees(request.pk), robust=True)
    return request.pk


def escalate(request_id: int, *, roles: list[str], users: list[str], due_at: Any) -> None:
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.status != ApprovalStatus.PENDING:
            return
        before = {"roles": request.assignee_roles, "level": request.escalation_level}
        request.assignee_roles = list(roles) or ([] if users else DEFAULT_ROLES)
        request.escalation_level += 1
        request.due_at = due_at
        request.link_nonce = secrets.token_urlsafe(16)  # links to the first assignees stop working
        request.save(update_fields=["assignee_roles", "escalation_level", "due_at", "link_nonce"])
        request.assignee_users.set(_users(request.organisation_id, users))
        record(
            AuditAction.APPROVAL_ESCALATE,
            actor="system",
            organisation=request.organisation_id,
            obj=request,
            before=before,
            after={"roles": request.assignee_roles, "users": users, "level": request.escalation_level},
        )
        transaction.on_commit(lambda: notify_assignees(request_id), robust=True)


def expire(request_id: int) -> None:
    with transaction.atomic():
        updated = ApprovalRequest.objects.filter(pk=request_id, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.TIMED_OUT, decided_at=timezone.now(), link_nonce=""
        )
        if updated:
            request = ApprovalRequest.objects.get(pk=request_id)
            record(
                AuditAction.APPROVAL_TIME_OUT,
                actor="system",
                organisation=request.organisation_id,
                obj=request,
            )


def _users(organisation_id: int, usernames: Iterable[str]) -> list[Any]:
    """Named users who belong to the organisation (others are ignored: no cross-tenant assignment)."""
    names = [u for u in usernames if u]
    if not names:
        return []
    members = Membership.objects.filter(
        organisation_id=organisation_id, user__username__in=names, is_active=True
    )
    return [m.user for m in members.select_related("user")]


# --- deciding ---------------------------------------------------------------------------------------


def may_decide(user: Any, request: ApprovalRequest) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if request.assignee_users.filter(pk=user.pk).exists():
        return True
    return bool(roles_in(user, request.organisation_id) & set(request.assignee_roles))


def decidable_ids(user: Any, queryset: Any, limit: int = 2000) -> list[int]:
    """Ids of the requests in ``queryset`` that ``user`` may decide (the inbox's "mine"), few queries."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = list(queryset.values_list("pk", "organisation_id", "assignee_roles")[:limit])
    org_roles = {org_id: roles_in(user, org_id) for org_id in {org for _, org, _ in rows}}
    named = set(
        ApprovalRequest.assignee_users.through.objects.filter(
            user_id=user.pk, approvalrequest_id__in=[pk for pk, _, _ in rows]
        ).values_list("approvalrequest_id", flat=True)
    )
    return [pk for pk, org, roles in rows if pk in named or org_roles[org] & set(roles or [])]


def decide(
    *,
    actor: Any,
    request: ApprovalRequest,
    decision: str,
    reason: str = "",
    items: list[dict[str, Any]] | None = None,
    via: str = "inbox",
) -> ApprovalRequest:
    """Approve (optionally with edited items) or reject (with a reason); audited; resumes the run."""
    if request.organisation_id not in organisation_ids_for(actor, "view") or not may_decide(actor, request):
        raise PermissionDeniedError("You are not an assignee of this approval.")
    if decision not in DECISIONS:
        raise InvalidInputError("decision must be approve or reject.", field="decision")
    reason = (reason or "").strip()
    if decision == "reject" and not reason:
        raise InvalidInputError("Say why you reject it: the requester sees the reason.", field="reason")
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ApprovalStatus.PENDING:
            raise InvalidInputError(
                f"This approval is already {locked.get_status_display().lower()}.", field="status"
            )
        edited = _checked_edits(locked, items) if (decision == "approve" and items is not None) else None
        locked.status = ApprovalStatus.APPROVED if decision == "approve" else ApprovalStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decided_via = actor, timezone.now(), via
        locked.reason, locked.edited_items, locked.link_nonce = reason, edited, ""
        locked.save()
        record(
            AuditAction.APPROVAL_DECIDE,
            actor=actor,
            organisation=locked.organisation_id,
            obj=locked,
            after={"decision": decision, "reason": reason, "edited": edited is not None, "via": via},
        )
        try:
            waits.resume_node(
                run_id=locked.run_id,
                node_id=locked.node_id,
                payload={
                    "reason": "decision",
                    "decision": decision,
                    "reason_text": reason,
                    "items": edited,
                    "by": actor.get_username(),
                },
            )
        except waits.ResumeRefused as exc:
            raise InvalidInputError(
                "The run is no longer waiting for this approval (it timed out or was cancelled).",
                field="status",
            ) from exc
    return locked


def _checked_edits(request: ApprovalRequest, items: Any) -> list[dict[str, Any]]:
    """Edit-and-approve: same number of lines, only the editable fields changed."""
    if not request.editable_fields:
        raise InvalidInputError("This approval does not allow editing; approve or reject it.", field="items")
    if not isinstance(items, list) or len(items) != len(request.items):
        raise InvalidInputError(f"Send all {len(request.items)} lines, edited.", field="items")
    allowed = set(request.editable_fields)
    out = []
    for index, (original, edited) in enumerate(zip(request.items, items, strict=True)):
        if not isinstance(edited, dict):
            raise InvalidInputError("Each line is a JSON object.", field=f"items[{index}]")
        changed = {k for k in set(original) | set(edited) if original.get(k) != edited.get(k)}
        if changed - allowed:
            names = ", ".join(sorted(changed - allowed))
            raise InvalidInputError(
                f"Only {', '.join(sorted(allowed))} may change, not {names}.", field=f"items[{index}]"
            )
        out.append(edited)
    return out


# --- e-mail links -----------------------------------------------------------------------------------


def link_token(request: ApprovalRequest, user: Any) -> str:
    return signing.dumps({"a": request.pk, "u": user.pk, "n": request.link_nonce}, salt=LINK_SALT)


def link_url(request: ApprovalRequest, user: Any) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/approvals/{link_token(request, user)}/"


def resolve_link(token: str) -> tuple[ApprovalRequest, Any]:
    """The request and the user a link was sent to; refused if forged, expired or already used."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise PermissionDeniedError("This link has expired; decide from the approvals inbox.") from exc
    except signing.BadSignature as exc:
        raise PermissionDeniedError("This link is not valid.") from exc
    request = ApprovalRequest.objects.filter(pk=data.get("a")).first()
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if request is None or user is None:
        raise PermissionDeniedError("This link is not valid.")
    if not request.link_nonce or request.link_nonce != data.get("n"):
        raise PermissionDeniedError(
            "This link was already used or replaced; decide from the approvals inbox."
        )
    return request, user


def decide_by_link(*, token: str, decision: str, reason: str = "") -> ApprovalRequest:
    request, user = resolve_link(token)
    return decide(actor=user, request=request, decision=decision, reason=reason, via="email")


def assignees(request: ApprovalRequest) -> list[Any]:
    users = {u.pk: u for u in request.assignee_users.all()}
    if request.assignee_roles:
        members = Membership.objects.filter(
            organisation_id=request.organisation_id,
            role__in=request.assignee_roles,
            is_active=True,
            user__is_active=True,
        ).select_related("user")
        users.update({m.user.pk: m.user for m in members})
    return list(users.values())


def notify_assignees(request_id: int) -> int:
    """E-mail each assignee a summary and their own single-use link; returns how many were sent."""
    request = ApprovalRequest.objects.select_related("run__flow").filter(pk=request_id).first()
    if request is None or request.status != ApprovalStatus.PENDING:
        return 0
    sent = 0
    for user in assignees(request):
        if not user.email:
            continue
        lines = "\n".join(
            "  " + ", ".join(f"{c}: {item.get(c)}" for c in (request.columns or list(item)[:4]))
            for item in request.items[:20]
        )
        totals = "\n".join(f"  {k}: {v}" for k, v in (request.totals or {}).items())
        body = (
            f"{request.title}\n\nFlow: {request.run.flow.name} (run {request.run_id})\n\n{lines}\n"
            + (f"\nTotals:\n{totals}\n" if totals else "")
            + f"\nApprove or reject: {link_url(request, user)}\n"
        )
        send_mail(f"Approval needed: {request.title}", body, None, [user.email], fail_silently=True)
        sent += 1
    return sent
