"""Tenant scoping: which organisations and objects a user may act on.

``organisation_ids_for(user, action)`` is the single answer to "where may this user do X". A partner
admin acts on its customers as their admin. ``restrict`` applies it to any queryset whose model has an
``organisation`` field (or declares ``tenant_field``), adding objects shared one by one through
django-guardian (models that list ``share_permissions``; see tenancy.sharing).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet

from .models import Membership, Organisation, OrganisationKind
from .roles import ROLE_ACTIONS, Role

# Tenancy actions a share can grant (a model lists the ones it supports in ``share_permissions``).
GUARDIAN_ACTION_PERMS = {"view": "view", "change": "change", "run": "run", "publish": "publish"}


# Role shares go to a guardian group per (organisation, role); nobody is put in them (see tenancy.sharing).
ROLE_GROUP_PREFIX = "fb-role"


def role_group_name(organisation_id: int, role: str) -> str:
    return f"{ROLE_GROUP_PREFIX}:{organisation_id}:{role}"


def role_group_names(memberships: Iterable[tuple[int, str]]) -> list[str]:
    """The share groups that apply to someone with these (organisation id, role) memberships."""
    return [role_group_name(org, role) for org, role in memberships]


def organisation_ids_for(user: AbstractBaseUser | AnonymousUser, action: str) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cache = user.__dict__.setdefault("_fb_org_ids", {})
    if action in cache:
        return cache[action]
    ids: set[int] = set()
    partner_admin_of: list[int] = []
    for org_id, role, kind in _memberships(user):
        if action in ROLE_ACTIONS.get(role, ()):
            ids.add(org_id)
        if role == Role.ADMIN and kind == OrganisationKind.PARTNER:
            partner_admin_of.append(org_id)
    if partner_admin_of:
        ids.update(_customers_of(user, partner_admin_of))
    cache[action] = ids
    return ids


def _memberships(user: AbstractBaseUser) -> list[tuple[int, str, str]]:
    """(organisation id, role, organisation kind) of the user's active memberships, read once per user
    object (a request's user): a page asks several questions of them."""
    cache = user.__dict__
    if "_fb_memberships" not in cache:
        cache["_fb_memberships"] = list(
            Membership.objects.filter(user=user, is_active=True).values_list(
                "organisation_id", "role", "organisation__kind"
            )
        )
    return cache["_fb_memberships"]


def _customers_of(user: AbstractBaseUser, organisation_ids: list[int]) -> list[int]:
    cache = user.__dict__.setdefault("_fb_customers", {})
    key = tuple(sorted(organisation_ids))
    if key not in cache:
        cache[key] = list(Organisation.objects.filter(parent_id__in=key).values_list("id", flat=True))
    return cache[key]


def tenant_field(model: type[Model]) -> str:
    return getattr(model, "tenant_field", "organisation")


def restrict(queryset: QuerySet, user: AbstractBaseUser | AnonymousUser, action: str = "view") -> QuerySet:
    """Only the rows ``user`` may perform ``action`` on. Every API queryset goes through here."""
    model = queryset.model
    if model is Organisation:
        return queryset.filter(id__in=organisation_ids_for(user, action))
    condition = Q(**{f"{tenant_field(model)}__in": organisation_ids_for(user, action)})
    if getattr(model, "share_permissions", ()) and action in GUARDIAN_ACTION_PERMS:
        shared = _guardian_shared_ids(user, model, GUARDIAN_ACTION_PERMS[action])
        if shared:
            condition |= Q(pk__in=shared)
    return queryset.filter(condition)


def can(user: AbstractBaseUser | AnonymousUser, action: str, obj: Model) -> bool:
    """Object-level check used by actions (after the queryset already scoped the lookup)."""
    if isinstance(obj, Organisation):
        return obj.id in organisation_ids_for(user, action)
    field = tenant_field(type(obj))
    if "__" in field:  # e.g. a trigger's "flow__organisation": the flow decides (its shares included)
        for part in field.split("__")[:-1]:
            obj = getattr(obj, part)
        return can(user, action, obj)
    org_id = getattr(obj, f"{field}_id")
    if org_id in organisation_ids_for(user, action):
        return True
    if getattr(type(obj), "share_permissions", ()) and action in GUARDIAN_ACTION_PERMS:
        return obj.pk in _guardian_shared_ids(user, type(obj), GUARDIAN_ACTION_PERMS[action])
    return False


def _guardian_shared_ids(user: AbstractBaseUser | AnonymousUser, model: type[Model], verb: str) -> list[int]:
    """Ids of ``model`` objects shared with ``user`` for ``verb``: to them by name, or to a role they hold.

    A share counts only while its recipient still belongs to the object's organisation or to that
    organisation's partner (tenancy.sharing keeps shares inside that circle; this re-checks it at read
    time, so a deactivated or removed member loses every share at once).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if verb not in getattr(model, "share_permissions", ()):
        return []
    cache = user.__dict__.setdefault("_fb_shared", {})
    label = model._meta.label_lower
    if (label, verb) not in cache:
        # Every verb the model can be shared for at once: a page asks change, run and publish in turn.
        shared = _shares_of(user, model)
        for each in model.share_permissions:
            cache[(label, each)] = shared.get(each, [])
    return cache[(label, verb)]


def _shares_of(user: AbstractBaseUser, model: type[Model]) -> dict[str, list[int]]:
    """verb -> ids of ``model`` objects shared with ``user`` (inside the circle, see above)."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    memberships = [(org, role) for org, role, _kind in _memberships(user)]
    if not memberships:
        return {}
    name = model._meta.model_name
    codenames = {f"{verb}_{name}": verb for verb in model.share_permissions}
    perm = {
        "permission__codename__in": list(codenames),
        "permission__content_type__app_label": model._meta.app_label,
    }
    direct = UserObjectPermission.objects.filter(user=user, **perm).values_list(
        "object_pk", "permission__codename"
    )
    by_role = GroupObjectPermission.objects.filter(
        group__name__in=role_group_names(memberships), **perm
    ).values_list("object_pk", "permission__codename")
    # One round trip for both kinds of share (every API request of a member asks).
    both = direct.union(by_role, all=True)
    granted = [(int(pk), codenames[code]) for pk, code in both if str(pk).isdigit()]
    if not granted:
        return {}
    own = sorted({org for org, _role in memberships})
    circle = set(own) | set(_customers_of(user, own))
    inside = set(
        model._default_manager.filter(
            pk__in={pk for pk, _verb in granted}, **{f"{tenant_field(model)}__in": circle}
        ).values_list("pk", flat=True)
    )
    shared: dict[str, list[int]] = {}
    for pk, verb in granted:
        if pk in inside and pk not in shared.setdefault(verb, []):
            shared[verb].append(pk)
    return shared


def roles_in(user: AbstractBaseUser | AnonymousUser, organisation_id: int) -> set[str]:
    """The roles ``user`` holds in an organisation; a partner's admin counts as admin of its customers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = set(
        Membership.objects.filter(user=user, organisation_id=organisation_id, is_active=True).values_list(
            "role", flat=True
        )
    )
    if Membership.objects.filter(
        user=user,
        is_active=True,
        role=Role.ADMIN,
        organisation__kind=OrganisationKind.PARTNER,
        organisation__customers__id=organisation_id,
    ).exists():
        roles.add(Role.ADMIN)
    return roles
