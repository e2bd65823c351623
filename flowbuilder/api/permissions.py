"""The permission class of every API view: it enforces the policy table (flowbuilder/api/policy.py).

Nothing else in the API decides who may call a route; the actions still check their own rules (and
refine them, e.g. who may decide an approval), so a view that forgot this class would still be safe.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework.exceptions import MethodNotAllowed, NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can, organisation_ids_for, restrict
from flowbuilder.tenancy.roles import Action

from .policy import POLICY, PUBLIC, QUERYSET, SIGNED_IN, Rule, rule_for


def url_name(request: Request) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.url_name if match is not None else None


def request_rule(request: Request) -> Rule:
    """The rule for this request; refused (403/405) when the table has no entry for it."""
    name = url_name(request)
    rule = rule_for(name, request.method or "")
    if rule is None:
        if name in POLICY:
            raise MethodNotAllowed(request.method or "")
        raise PermissionDenied(f"No access policy for this endpoint ({name or request.path}).")
    return rule


def _is_detail(view: Any) -> bool:
    return "pk" in (getattr(view, "kwargs", None) or {})


def _target(obj: Model, rule: Rule) -> Any:
    for part in filter(None, rule.on.split(".")):
        obj = getattr(obj, part)
    return obj


_VERBS = {
    Action.CHANGE: "change",
    Action.PUBLISH: "publish",
    Action.RUN: "run",
    Action.OPERATE: "operate the runs of",
    Action.APPROVE: "approve",
    Action.ADMIN: "administer",
    Action.AUDIT: "read the audit trail of",
}


class PolicyPermission(BasePermission):
    """Reads the policy table: signed in or not, the object's rule on detail routes, the target
    organisation's rule on collection routes."""

    def has_permission(self, request: Request, view: Any) -> bool:
        rule = request_rule(request)
        if rule.action == PUBLIC:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if rule.action == SIGNED_IN:
            return True
        if _is_detail(view) and hasattr(view, "get_object"):
            # Load the object now (404 if not visible; check_object_permissions -> 403) so the rule is
            # applied before the view reads the body or does anything else.
            view.checked_object = view.get_object()
            return True
        if rule.action == Action.VIEW:
            return True  # every collection's queryset holds only what the user may view
        return self._collection_allowed(request, rule)

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        rule = request_rule(request)
        if rule.action in (PUBLIC, SIGNED_IN, Action.VIEW) or rule.on == QUERYSET:
            return True  # the restricted queryset decided
        target = _target(obj, rule)
        if can(request.user, rule.action, target):
            return True
        # Say what is not allowed (DRF answers 403 with this instance's message; one per request).
        verb = _VERBS.get(rule.action, rule.action)
        self.message = f"You may not {verb} this {target._meta.verbose_name}: your role does not allow it."
        return False

    def _collection_allowed(self, request: Request, rule: Rule) -> bool:
        user = request.user
        raw = request.data.get(rule.org_field) if hasattr(request.data, "get") else None
        try:
            org_id = int(raw) if raw is not None and not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            org_id = None
        if org_id is None:
            # No target named (or not an id: the serializer answers 400 naming it): the action must be
            # held somewhere.
            return bool(organisation_ids_for(user, rule.action))
        org = restrict(Organisation.objects.all(), user, Action.VIEW).filter(pk=org_id).first()
        if org is None:
            message = "No such organisation."
            raise NotFound({"detail": message, "errors": {rule.org_field: [message]}})
        return can(user, rule.action, org)
