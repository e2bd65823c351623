"""Roles and the actions each allows. One place decides who may do what."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    BUILDER = "builder", "Builder"
    OPERATOR = "operator", "Operator"
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


class Action:
    VIEW = "view"
    CHANGE = "change"  # create and edit flows, connections
    PUBLISH = "publish"
    RUN = "run"  # trigger runs by hand
    OPERATE = "operate"  # cancel, retry, replay runs
    APPROVE = "approve"
    ADMIN = "admin"  # members, roles, organisation settings


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {Action.VIEW, Action.CHANGE, Action.PUBLISH, Action.RUN, Action.OPERATE, Action.APPROVE, Action.ADMIN}
    ),
    Role.BUILDER: frozenset({Action.VIEW, Action.CHANGE, Action.PUBLISH, Action.RUN}),
    Role.OPERATOR: frozenset({Action.VIEW, Action.RUN, Action.OPERATE}),
    Role.APPROVER: frozenset({Action.VIEW, Action.APPROVE}),
    Role.VIEWER: frozenset({Action.VIEW}),
}
