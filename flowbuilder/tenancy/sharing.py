"""Sharing one object (a flow, a connection) with a person or a role beyond their role's defaults.

Shares are django-guardian object permissions: to a user directly, or to a role of an organisation
through a guardian group named for that role (``fb-role:<organisation id>:<role>``). Nobody is put in
those groups: ``tenancy.permissions`` reads a user's active memberships and looks the groups up, so a
role share follows role changes and deactivations without any bookkeeping.

A share stays inside the object's tenant: its recipient is a member (or a role) of the object's
organisation, or of that organisation's partner (a partner's consultants working on a customer's flow).
Sharing and unsharing are admin actions on the object's organisation and are audited
(``<model>.share`` / ``<model>.unshare``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Model

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError

from .models import Membership, Organisation, OrganisationKind
from .permissions import ROLE_GROUP_PREFIX, can, role_group_name, tenant_field
from .roles import ROLE_ACTIONS, Action, Role


def shareable(obj: Model) -> tuple[str, ...]:
    verbs = tuple(getattr(type(obj), "share_permissions", ()))
    if not verbs:
        raise InvalidInputError(f"A {obj._meta.verbose_name} cannot be shared.")
    return verbs


def _organisation(obj: Model) -> Organisation:
    return getattr(obj, tenant_field(type(obj)))


def _circle(org: Organisation) -> list[int]:
    """The organisations whose people may receive a share of ``org``'s objects."""
    return [org.pk, org.parent_id] if org.parent_id else [org.pk]


def _codename(obj: Model, verb: str) -> str:
    return f"{obj._meta.app_label}.{verb}_{obj._meta.model_name}"


def _permissions(obj: Model, permissions: Iterable[str]) -> list[str]:
    verbs = shareable(obj)
    chosen = [p for p in dict.fromkeys(permissions or [])]
    unknown = [p for p in chosen if p not in verbs]
    if unknown or not chosen:
        raise InvalidInputError(f"Choose what to share from: {', '.join(verbs)}.", field="permissions")
    if Action.VIEW not in chosen:
        chosen.insert(0, Action.VIEW)  # nothing can be changed or run without seeing it
    return [v for v in verbs if v in chosen]


@dataclass(frozen=True)
class Recipient:
    """Whom a share is for: one user, or a role of an organisation."""

    user: Any = None
    role: str = ""
    organisation: Organisation | None = None

    def describe(self) -> dict[str, Any]:
        if self.user is not None:
            return {"user": self.user.pk, "username": self.user.get_username()}
        assert self.organisation is not None
        return {"role": self.role, "organisation": self.organisation.pk}

    def holder(self) -> Any:
        if self.user is not None:
            return self.user
        assert self.organisation is not None
        group, _ = Group.objects.get_or_create(name=role_group_name(self.organisation.pk, self.role))
        return group


def recipient(
    obj: Model, *, user_id: int | None = None, role: str = "", organisation_id: int | None = None
) -> Recipient:
    """Check a share's recipient against the object's tenant: a member of its organisation or of that
    organisation's partner, or a role there; anyone else is refused as if unknown."""
    org = _organisation(obj)
    circle = _circle(org)
    if (user_id is None) == (not role):
        raise InvalidInputError("Share with either a user or a role.", field="user")
    if user_id is not None:
        user = (
            get_user_model()
            .objects.filter(
                pk=user_id,
                is_active=True,
                memberships__organisation_id__in=circle,
                memberships__is_active=True,
            )
            .first()
        )
        if user is None:
            raise InvalidInputError(
                f"No such user in {org.name}" + (" or its partner." if org.parent_id else "."), field="user"
            )
        return Recipient(user=user)
    if role not in Role.values:
        raise InvalidInputError(
            f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.", field="role"
        )
    target = org.pk if organisation_id is None else organisation_id
    if target not in circle:
        raise InvalidInputError(
            f"A role share names {org.name}" + (" or its partner." if org.parent_id else "."),
            field="organisation",
        )
    return Recipient(role=role, organisation=Organisation.objects.get(pk=target))


def _audit(action: str, *, actor: Any, obj: Model, before: Any, after: Any) -> None:
    record(
        AuditAction(f"{obj._meta.model_name}.{action}"),
        actor=actor,
        organisation=_organisation(obj),
        obj=obj,
        before=before,
        after=after,
    )


def _require_admin(actor: Any, obj: Model) -> None:
    if not can(actor, Action.ADMIN, _organisation(obj)):
        raise PermissionDeniedError(
            f"Only admins of this organisation can share its {obj._meta.verbose_name}s."
        )


def _current(obj: Model, who: Recipient) -> list[str]:
    from guardian.shortcuts import get_group_perms, get_user_perms

    holder = who.holder()
    codes = get_user_perms(holder, obj) if who.user is not None else get_group_perms(holder, obj)
    suffix = f"_{obj._meta.model_name}"
    held = {c[: -len(suffix)] for c in codes if c.endswith(suffix)}
    return [v for v in shareable(obj) if v in held]


def share(*, actor: Any, obj: Model, who: Recipient, permissions: Iterable[str]) -> list[str]:
    """Give ``who`` exactly ``permissions`` on ``obj`` (replacing what an earlier share gave)."""
    from guardian.shortcuts import assign_perm, remove_perm

    _require_admin(actor, obj)
    wanted = _permissions(obj, permissions)
    with transaction.atomic():
        before = _current(obj, who)
        holder = who.holder()
        for verb in shareable(obj):
            if verb in wanted and verb not in before:
                assign_perm(_codename(obj, verb), holder, obj)
            elif verb not in wanted and verb in before:
                remove_perm(_codename(obj, verb), holder, obj)
        _audit(
            "share",
            actor=actor,
            obj=obj,
            before={**who.describe(), "permissions": before} if before else None,
            after={**who.describe(), "permissions": wanted},
        )
    return wanted


def unshare(*, actor: Any, obj: Model, who: Recipient) -> None:
    """Take back everything shared with ``who`` on ``obj`` (their role's defaults stay)."""
    from guardian.shortcuts import remove_perm

    _require_admin(actor, obj)
    with transaction.atomic():
        before = _current(obj, who)
        if not before:
            raise InvalidInputError("Nothing is shared with them.", field="user" if who.user else "role")
        holder = who.holder()
        for verb in before:
            remove_perm(_codename(obj, verb), holder, obj)
        _audit("unshare", actor=actor, obj=obj, before={**who.describe(), "permissions": before}, after=None)


# --- who has access -----------------------------------------------------------------------------------


def access(obj: Model) -> dict[str, Any]:
    """Everyone who may act on ``obj`` and why: their role (in its organisation, or as the partner's
    admin), a share to them, a share to their role. Plus the shares themselves, to revoke."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    verbs = shareable(obj)
    org = _organisation(obj)
    suffix = f"_{obj._meta.model_name}"
    perm_filter = {
        "object_pk": str(obj.pk),
        "permission__content_type__app_label": obj._meta.app_label,
        "permission__codename__endswith": suffix,
    }
    user_shares: dict[int, set[str]] = {}
    for user_id, code in UserObjectPermission.objects.filter(**perm_filter).values_list(
        "user_id", "permission__codename"
    ):
        user_shares.setdefault(user_id, set()).add(code[: -len(suffix)])
    role_shares: dict[tuple[int, str], set[str]] = {}
    for name, code in GroupObjectPermission.objects.filter(
        group__name__startswith=f"{ROLE_GROUP_PREFIX}:", **perm_filter
    ).values_list("group__name", "permission__codename"):
        _prefix, org_id, role = name.split(":", 2)
        role_shares.setdefault((int(org_id), role), set()).add(code[: -len(suffix)])

    circle = _circle(org)
    members = (
        Membership.objects.filter(organisation_id__in=circle, is_active=True, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__username")
    )
    people: dict[int, dict[str, Any]] = {}

    def person(user: Any) -> dict[str, Any]:
        return people.setdefault(
            user.pk,
            {
                "user": user.pk,
                "username": user.get_username(),
                "display_name": user.get_full_name() or user.get_username(),
                "permissions": set(),
                "via": [],
            },
        )

    for m in members:
        partner_admin = (
            m.organisation_id != org.pk
            and m.role == Role.ADMIN
            and m.organisation.kind == OrganisationKind.PARTNER
        )
        if m.organisation_id == org.pk or partner_admin:
            granted = ROLE_ACTIONS.get(m.role, frozenset()) & set(verbs)
            if granted:
                entry = person(m.user)
                entry["permissions"] |= granted
                entry["via"].append(f"{m.get_role_display()} of {m.organisation.name}")
        shared_role = role_shares.get((m.organisation_id, m.role))
        if shared_role:
            entry = person(m.user)
            entry["permissions"] |= shared_role
            entry["via"].append(f"shared with {m.get_role_display()}s of {m.organisation.name}")
        if m.user_id in user_shares:
            entry = person(m.user)
            if "shared with them" not in entry["via"]:
                entry["permissions"] |= user_shares[m.user_id]
                entry["via"].append("shared with them")

    usernames = dict(get_user_model().objects.filter(pk__in=user_shares).values_list("pk", "username"))
    org_names = dict(
        Organisation.objects.filter(pk__in={o for o, _ in role_shares}).values_list("pk", "name")
    )
    shares = [
        {
            "user": uid,
            "username": usernames.get(uid, ""),
            "role": None,
            "organisation": None,
            "organisation_name": None,
            "permissions": [v for v in verbs if v in held],
        }
        for uid, held in sorted(user_shares.items(), key=lambda kv: usernames.get(kv[0], ""))
    ] + [
        {
            "user": None,
            "username": None,
            "role": role,
            "organisation": org_id,
            "organisation_name": org_names.get(org_id, ""),
            "permissions": [v for v in verbs if v in held],
        }
        for (org_id, role), held in sorted(role_shares.items())
    ]
    return {
        "shareable": list(verbs),
        "shares": shares,
        "people": [
            {**p, "permissions": [v for v in verbs if v in p["permissions"]]}
            for p in sorted(people.values(), key=lambda p: p["username"])
        ],
    }


def share_candidates(actor: Any, obj: Model) -> list[dict[str, Any]]:
    """People ``actor`` may share ``obj`` with: members of its organisation and, for the partner's
    admins, the partner's own people."""
    org = _organisation(obj)
    orgs = [org.pk]
    if org.parent_id and can(actor, Action.ADMIN, Organisation.objects.get(pk=org.parent_id)):
        orgs.append(org.parent_id)
    users = (
        get_user_model()
        .objects.filter(memberships__organisation_id__in=orgs, memberships__is_active=True, is_active=True)
        .distinct()
        .order_by("username")
    )
    return [
        {"user": u.pk, "username": u.get_username(), "display_name": u.get_full_name() or u.get_username()}
        for u in users
    ]
