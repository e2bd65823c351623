"""Tenant scoping: which organisations and objects a user may act on.

``organisation_ids_for(user, action)`` is the single answer to "where may this user do X". A partner
admin acts on its customers as their admin. ``restrict`` applies it to any queryset whose model has an
``organisation`` field (or declares ``tenant_field``), adding objects shared one by one through
django-guardian.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet

from .models import Membership, Organisation, OrganisationKind
from .roles import ROLE_ACTIONS, Role

GUARDIAN_ACTION_PERMS = {"view": "view", "change": "change", "run": "run", "publish": "publish"}


def organisation_ids_for(user: AbstractBaseUser | AnonymousUser, action: str) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cache = user.__dict__.setdefault("_fb_org_ids", {})
    if action in cache:
        return cache[action]
    ids: set[int] = set()
    partner_admin_of: list[int] = []
    for org_id, role, kind in Membership.objects.filter(user=user).values_list(
        "organisation_id", "role", "organisation__kind"
    ):
        if action in ROLE_ACTIONS.get(role, ()):
            ids.add(org_id)
        if role == Role.ADMIN and kind == OrganisationKind.PARTNER:
            partner_admin_of.append(org_id)
    if partner_admin_of:
        ids.update(Organisation.objects.filter(parent_id__in=partner_admin_of).values_list("id", flat=True))
    cache[action] = ids
    return ids


def tenant_field(model: type[Model]) -> str:
    return getattr(model, "tenant_field", "organisation")


def restrict(queryset: QuerySet, user: AbstractBaseUser | AnonymousUser, action: str = "view") -> QuerySet:
    """Only the rows ``user`` may perform ``action`` on. Every API queryset goes through here."""
    model = queryset.model
    if model is Organisation:
        return queryset.filter(id__in=organisation_ids_for(user, action))
    condition = Q(**{f"{tenant_field(model)}__in": organisation_ids_for(user, action)})
    if getattr(model, "guardian_shareable", False) and action in GUARDIAN_ACTION_PERMS:
        shared = _guardian_shared_ids(user, model, GUARDIAN_ACTION_PERMS[action])
        if shared:
            condition |= Q(pk__in=shared)
    return queryset.filter(condition)


def can(user: AbstractBaseUser | AnonymousUser, action: str, obj: Model) -> bool:
    """Object-level check used by actions (after the queryset already scoped the lookup)."""
    if isinstance(obj, Organisation):
        return obj.id in organisation_ids_for(user, action)
    org_id = getattr(obj, f"{tenant_field(type(obj))}_id")
    if org_id in organisation_ids_for(user, action):
        return True
    if getattr(type(obj), "guardian_shareable", False) and action in GUARDIAN_ACTION_PERMS:
        return obj.pk in _guardian_shared_ids(user, type(obj), GUARDIAN_ACTION_PERMS[action])
    return False


def _guardian_shared_ids(user: AbstractBaseUser | AnonymousUser, model: type[Model], verb: str) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    from guardian.shortcuts import get_objects_for_user

    codename = f"{model._meta.app_label}.{verb}_{model._meta.model_name}"
    # Per request, like organisation_ids_for: one request restricts flows several times (the viewset,
    # the filters' choices), and each lookup is a few queries.
    cache = user.__dict__.setdefault("_fb_shared_ids", {})
    if codename not in cache:
        objs = get_objects_for_user(
            user, codename, klass=model.objects.all(), accept_global_perms=False, with_superuser=False
        )
        cache[codename] = list(objs.values_list("pk", flat=True))
    return cache[codename]


def roles_in(user: AbstractBaseUser | AnonymousUser, organisation_id: int) -> set[str]:
    """The roles ``user`` holds in an organisation; a partner's admin counts as admin of its customers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = set(
        Membership.objects.filter(user=user, organisation_id=organisation_id).values_list("role", flat=True)
    )
    if Membership.objects.filter(
        user=user,
        role=Role.ADMIN,
        organisation__kind=OrganisationKind.PARTNER,
        organisation__customers__id=organisation_id,
    ).exists():
        roles.add(Role.ADMIN)
    return roles
