"""Roles and the actions each allows. One place decides who may do what."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    BUILDER = "builder", "Builder"
    OPERATOR = "operator", "Operator"
    APPROVER = "approver", "Approver"
    AUDITOR = "auditor", "Auditor"
    VIEWER = "viewer", "Viewer"


class Action:
    VIEW = "view"
    CHANGE = "change"  # create and edit flows, connections
    PUBLISH = "publish"
    RUN = "run"  # trigger runs by hand
    OPERATE = "operate"  # cancel, retry, replay runs
    APPROVE = "approve"
    ADMIN = "admin"  # members, roles, organisation settings
    AUDIT = "audit"  # read, export and verify the audit trail


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            Action.VIEW,
            Action.CHANGE,
            Action.PUBLISH,
            Action.RUN,
            Action.OPERATE,
            Action.APPROVE,
            Action.ADMIN,
            Action.AUDIT,
        }
    ),
    Role.BUILDER: frozenset({Action.VIEW, Action.CHANGE, Action.PUBLISH, Action.RUN}),
    Role.OPERATOR: frozenset({Action.VIEW, Action.RUN, Action.OPERATE}),
    # A controller approves what reaches production and reads the trail of what did.
    Role.APPROVER: frozenset({Action.VIEW, Action.APPROVE, Action.AUDIT}),
    # A customer's (or the partner's) auditor: sees everything, changes nothing.
    Role.AUDITOR: frozenset({Action.VIEW, Action.AUDIT}),
    Role.VIEWER: frozenset({Action.VIEW}),
}
