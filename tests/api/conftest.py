"""The API test world: two partners, customers under them, a user per role, and object factories.

Customer ``a`` (under partner ``partner``) is "our" tenant; customer ``b`` sits under another partner and
is the tenant whose objects must never leak. ``partner_admin`` administers ``partner`` and so its
customer ``a``, never ``b``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.models import Membership, Organisation, OrganisationKind
from flowbuilder.tenancy.roles import Role

# webhook_document: kept importable from here for tests written before it moved to tests/support.
from tests.support.documents import manual_document, webhook_document  # noqa: F401
from tests.support.tenancy import PASSWORD

ROLES = tuple(Role.values)  # every role: the matrix and the isolation mixins cover each


@dataclass
class World:
    partner: Organisation
    a: Organisation
    other_partner: Organisation
    b: Organisation
    users: dict[str, Any] = field(default_factory=dict)  # role in ``a`` -> user
    b_admin: Any = None
    b_builder: Any = None
    partner_admin: Any = None
    stranger: Any = None  # authenticated, member of nothing

    def user(self, who: str):
        return self.users.get(who) or getattr(self, who)

    def make_flow(self, org: Organisation, *, name: str = "Flow", published: bool = False, doc=None) -> Flow:
        actor = self.admin_of(org)
        flow = flow_actions.create_flow(
            actor=actor, organisation=org, name=name, document=doc or manual_document()
        )
        if published:
            flow_actions.publish_flow(actor=actor, flow=flow, comment="v1")
            flow.refresh_from_db()
        return flow

    def make_run(
        self, org: Organisation, *, status: str = RunStatus.QUEUED, failed_node: bool = False
    ) -> Run:
        """A run created through the action (Celery is not eager: it stays queued) then moved to
        ``status`` the way the engine would leave it."""
        flow = self.make_flow(org, name="Run flow", published=True)
        run = run_actions.start_run(actor=self.admin_of(org), flow=flow, input_items=[{"n": 1}])
        if status != RunStatus.QUEUED:
            Run.objects.filter(pk=run.pk).update(status=status, error={"message": "boom"})
        if failed_node:
            NodeRun.objects.create(
                run=run, node_id="t", status=NodeStatus.SUCCEEDED, output_items={"main": [{"n": 1}]}
            )
            NodeRun.objects.create(run=run, node_id="m0", status=NodeStatus.FAILED, error={"message": "boom"})
        run.refresh_from_db()
        return run

    def admin_of(self, org: Organisation):
        return self.users["admin"] if org == self.a else self.b_admin if org == self.b else self.partner_admin


@pytest.fixture
def world(db) -> World:
    user_model = get_user_model()

    def user(username: str, org: Organisation | None = None, role: str = "viewer"):
        u = user_model.objects.create_user(username=username, password=PASSWORD, email=f"{username}@x.test")
        if org is not None:
            Membership.objects.create(user=u, organisation=org, role=role)
        return u

    def org(name: str, kind: str, parent: Organisation | None = None) -> Organisation:
        return Organisation.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), kind=kind, parent=parent
        )

    partner = org("Partner One", OrganisationKind.PARTNER)
    other_partner = org("Partner Two", OrganisationKind.PARTNER)
    a = org("Customer A", OrganisationKind.CUSTOMER, partner)
    b = org("Customer B", OrganisationKind.CUSTOMER, other_partner)
    w = World(partner=partner, a=a, other_partner=other_partner, b=b)
    w.users = {role: user(f"a-{role}", a, role) for role in ROLES}
    w.b_admin = user("b-admin", b, "admin")
    w.b_builder = user("b-builder", b, "builder")
    w.partner_admin = user("p-admin", partner, "admin")
    w.stranger = user("stranger")
    return w


@pytest.fixture
def client_as(world):
    """``client_as("builder")`` -> an APIClient authenticated as that user of ``a`` (or a World attribute)."""

    def make(who: str | None) -> APIClient:
        client = APIClient()
        if who is not None:
            # A fresh instance per client, as a real request loads the user anew (permission caches
            # live on the user object for the length of one request).
            user = world.user(who)
            client.force_authenticate(type(user).objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.4 s per user; the world has nine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
