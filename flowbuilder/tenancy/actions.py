"""Changes to organisations and memberships; each writes an audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, login, logout
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError

from .branding import as_dict
from .models import Membership, Organisation, OrganisationKind
from .permissions import can
from .roles import Role


def create_customer(*, actor: Any, partner: Organisation, name: str) -> Organisation:
    if partner.kind != OrganisationKind.PARTNER or not can(actor, "admin", partner):
        raise PermissionDeniedError("Only a partner's admins can create its customers.")
    with transaction.atomic():
        base = slugify(name)[:60] or "customer"
        slug, n = base, 1
        while Organisation.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        org = Organisation.objects.create(
            name=name, slug=slug, kind=OrganisationKind.CUSTOMER, parent=partner
        )
        record(
            AuditAction.ORGANISATION_CREATE,
            actor=actor,
            organisation=org,
            obj=org,
            after={"name": name, "parent": partner.pk},
        )
    return org


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInputError(
            f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.", field="role"
        )


def _keeps_an_admin(membership: Membership, *, losing: str) -> None:
    """A partner (or an organisation without a partner) keeps at least one active admin: nobody else
    could manage it. A customer's partner admins always can, so customers are not guarded."""
    org = membership.organisation
    if org.parent_id is not None or membership.role != Role.ADMIN or not membership.is_active:
        return
    others = Membership.objects.filter(organisation=org, role=Role.ADMIN, is_active=True).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise InvalidInputError(
            f"{membership.user.get_username()} is the last active admin of {org.name}: make someone else "
            f"admin before you {losing}.",
            field="role",
        )


def _sync_account(user: Any) -> None:
    """A person whose every membership is deactivated cannot sign in at all; any active one lets them.
    (Someone with no membership left keeps the account as it was.)"""
    rows = set(Membership.objects.filter(user=user).values_list("is_active", flat=True))
    if not rows or user.is_superuser:
        return
    active = True in rows
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])


def set_membership(*, actor: Any, organisation: Organisation, username: str, role: str) -> Membership:
    if not can(actor, "admin", organisation):
        raise PermissionDeniedError("Only admins of this organisation can change its members.")
    _check_role(role)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInputError(f"No user named {username!r}.", field="username")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        before = None if created else {"role": membership.role}
        if not created and membership.role != role:
            _keeps_an_admin(membership, losing="change their role")
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
        if created:
            _sync_account(user)
        record(
            AuditAction.MEMBERSHIP_SET,
            actor=actor,
            organisation=organisation,
            obj=membership,
            before=before,
            after={"user": username, "role": role},
        )
    return membership


def change_role(*, actor: Any, membership: Membership, role: str) -> Membership:
    """Give a member another role in the same organisation (audited as a role grant)."""
    return set_membership(
        actor=actor, organisation=membership.organisation, username=membership.user.get_username(), role=role
    )


def deactivate_membership(*, actor: Any, membership: Membership) -> Membership:
    """The member keeps their row (and history) but loses every right in this organisation; with no
    active membership left they cannot sign in at all (their sessions and tokens stop working)."""
    if not can(actor, "admin", membership.organisation):
        raise PermissionDeniedError("Only admins of this organisation can deactivate its members.")
    if membership.user_id == getattr(actor, "pk", None):
        raise InvalidInputError("You cannot deactivate yourself; ask another admin.", field="user")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user", "organisation")
            .get(pk=membership.pk)
        )
        if not membership.is_active:
            return membership
        _keeps_an_admin(membership, losing="deactivate them")
        membership.is_active = False
        membership.deactivated_at = timezone.now()
        membership.deactivated_by = actor if getattr(actor, "is_authenticated", False) else None
        membership.save(update_fields=["is_active", "deactivated_at", "deactivated_by", "updated_at"])
        _sync_account(membership.user)
        record(
            AuditAction.USER_DEACTIVATE,
            actor=actor,
            organisation=membership.organisation_id,
            obj=membership.user,
            before={"active": True},
            after={
                "active": False,
                "membership": membership.pk,
                "role": membership.role,
                "can_sign_in": membership.user.is_active,
            },
        )
    return membership


def reactivate_membership(*, actor: Any, membership: Membership) -> Membership:
    if not can(actor, "admin", membership.organisation):
        raise PermissionDeniedError("Only admins of this organisation can reactivate its members.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if membership.is_active:
            return membership
        membership.is_active = True
        membership.deactivated_at = None
        membership.deactivated_by = None
        membership.save(update_fields=["is_active", "deactivated_at", "deactivated_by", "updated_at"])
        _sync_account(membership.user)
        record(
            AuditAction.USER_REACTIVATE,
            actor=actor,
            organisation=membership.organisation_id,
            obj=membership.user,
            before={"active": False},
            after={"active": True, "membership": membership.pk, "role": membership.role},
        )
    return membership


def remove_membership(*, actor: Any, membership: Membership) -> None:
    if not can(actor, "admin", membership.organisation):
        raise PermissionDeniedError("Only admins of this organisation can remove its members.")
    _keeps_an_admin(membership, losing="remove them")
    with transaction.atomic():
        record(
            AuditAction.MEMBERSHIP_REMOVE,
            actor=actor,
            organisation=membership.organisation_id,
            obj=membership,
            before={"user": membership.user.get_username(), "role": membership.role},
        )
        membership.delete()
        _sync_account(membership.user)


BRANDING_FIELDS = (
    "product_name",
    "logo_url",
    "favicon_url",
    "primary_color",
    "accent_color",
    "support_email",
    "support_url",
    "login_text",
    "host_name",
)


def set_branding(*, actor: Any, partner: Organisation, **values: Any) -> Any:
    """A partner's admins set the brand its customers' users see."""
    from .models import Branding

    if partner.kind != OrganisationKind.PARTNER or not can(actor, "admin", partner):
        raise PermissionDeniedError("Only a partner's admins can change its branding.")
    changes = {k: v for k, v in values.items() if k in BRANDING_FIELDS}
    if "host_name" in changes:
        from .branding import host_key

        changes["host_name"] = host_key(changes["host_name"] or "") or None
        taken = Branding.objects.filter(host_name=changes["host_name"]).exclude(organisation=partner)
        if changes["host_name"] and taken.exists():
            raise InvalidInputError("Another partner already uses this host name.", field="host_name")
    with transaction.atomic():
        branding, created = Branding.objects.get_or_create(
            organisation=partner, defaults={"product_name": changes.get("product_name") or partner.name}
        )
        before = None if created else {k: getattr(branding, k) for k in changes}
        for key, value in changes.items():
            setattr(branding, key, value)
        branding.save()
        record(
            AuditAction.BRANDING_SET,
            actor=actor,
            organisation=partner,
            obj=branding,
            before=before,
            after=changes,
        )
    return branding


def invite_user(
    *, actor: Any, organisation: Organisation, email: str, role: str, request: Any = None, brand: Any = None
) -> Any:
    """Create (or reuse) the user for ``email``, give them ``role`` and e-mail a link to set a password."""
    from django.contrib.auth.forms import PasswordResetForm

    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvalidInputError("Enter the e-mail address of the person to invite.", field="email")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=email, email=email)
            user.set_unusable_password()
            user.save()
        membership = set_membership(actor=actor, organisation=organisation, username=user.username, role=role)
        record(
            AuditAction.USER_INVITE,
            actor=actor,
            organisation=organisation,
            obj=user,
            after={"email": email, "role": role},
        )
    if request is not None and not user.has_usable_password():
        form = PasswordResetForm({"email": email})
        if form.is_valid():
            # Users without a password are skipped by the stock form; an invitee must get the link.
            form.get_users = lambda _email: [user]  # type: ignore[method-assign]
            form.save(
                request=request,
                subject_template_name="web/invite_subject.txt",
                email_template_name="web/invite_email.txt",
                extra_email_context={"brand": brand or as_dict(None), "organisation": organisation},
            )
    return membership


def sign_in(request: Any, *, user: Any) -> None:
    """Start the user's session and audit it (the login form and the API both come here)."""
    with transaction.atomic():
        login(request, user)
        record(AuditAction.AUTH_LOGIN, actor=user)


def sign_out(request: Any) -> None:
    """End the session; audited when there was a signed-in user."""
    user = getattr(request, "user", None)
    with transaction.atomic():
        if user is not None and user.is_authenticated:
            record(AuditAction.AUTH_LOGOUT, actor=user)
        logout(request)


GOVERNANCE_FIELDS = (
    "require_publish_approval",
    "require_distinct_approver",
    "audit_retention_days",
    "environments_enabled",
    "environment_names",
    "prod_requires_test_run",
)
ENVIRONMENT_KEYS = ("dev", "test", "prod")


def set_governance(*, actor: Any, organisation: Organisation, **fields: Any) -> Organisation:
    """Change an organisation's governance settings (four-eyes publishing, audit retention).

    A partner's approval settings apply to all its customers (``tenancy.governance``).
    """
    if not can(actor, "admin", organisation):
        raise PermissionDeniedError("Only the organisation's admins change its governance settings.")
    changes = {k: v for k, v in fields.items() if k in GOVERNANCE_FIELDS}
    days = changes.get("audit_retention_days")
    if days is not None and (not isinstance(days, int) or days < 1):
        raise InvalidInputError(
            "Keep at least one day, or leave empty to keep everything.", field="audit_retention_days"
        )
    names = changes.get("environment_names")
    if names is not None and (
        not isinstance(names, dict)
        or set(names) - set(ENVIRONMENT_KEYS)
        or not all(isinstance(v, str) and 0 < len(v.strip()) <= 40 for v in names.values())
    ):
        raise InvalidInputError(
            "Name dev, test and prod with up to 40 characters each.", field="environment_names"
        )
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = {k: getattr(org, k) for k in changes}
        for key, value in changes.items():
            setattr(org, key, value)
        org.save(update_fields=[*changes, "updated_at"])
        record(
            AuditAction.ORGANISATION_GOVERNANCE,
            actor=actor,
            organisation=org,
            obj=org,
            before=before,
            after=changes,
        )
    return org
