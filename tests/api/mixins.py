"""Generic API test mixins in the NetBox style (``utilities/testing/api.py``).

A resource test declares what it is about and inherits the checks::

    class TestFlows(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests, ActionTests):
        url_base = "/api/flows/"
        model = Flow
        create_roles = ("admin", "builder")
        create_audit_action = "flow.create"
        update_payload = {"name": "Renamed"}
        ...

        def make(self, world, org):
            return world.make_flow(org)

        def create_payload(self, world, org):
            return {"organisation": org.id, "name": "New"}

``world`` (tests/api/conftest.py) holds customer ``a`` with one user per role, customer ``b`` under another
partner, ``a``'s partner admin and a stranger. Every mixin checks the tenancy invariant: nothing of ``b``
is ever visible to a user of ``a`` (404 on every detail route and action, absent from every list, also
with ``?organisation=<b id>``), and every mutation writes exactly one audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.db.models import Model

from flowbuilder.audit.models import AuditEvent

from .conftest import ROLES, World

#: Users of ``a``'s side who must never see ``b``'s objects.
OUTSIDERS = (*ROLES, "partner_admin", "stranger")


# --- assertion helpers ------------------------------------------------------------------------------


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def audit_since(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id"))


def assert_one_audit(
    since: int, *, action: str, actor: Any, organisation: Any, object_id: Any = None
) -> AuditEvent:
    rows = audit_since(since)
    assert len(rows) == 1, f"expected one audit row for {action}, got {[r.action for r in rows]}"
    row = rows[0]
    assert row.action == action
    assert row.actor_id == actor.pk
    assert row.actor_label == actor.get_username()
    org_id = getattr(organisation, "pk", organisation)
    assert row.organisation_id == org_id
    if object_id is not None:
        assert row.object_id == str(object_id)
    return row


def assert_not_found(response, context: str = "") -> None:
    """404 and nothing but a message: no field of the object leaks in the body."""
    assert response.status_code == 404, (
        f"{context}: expected 404, got {response.status_code} {response.content[:300]!r}"
    )
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert set(body) <= {"detail", "errors"}, f"{context}: 404 body carries data: {body}"


def result_ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:500]
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    return {row["id"] for row in rows}


def resolve(payload: Any, *args: Any) -> Any:
    return payload(*args) if callable(payload) else payload


# --- the declaration every mixin reads --------------------------------------------------------------


class APIResourceTest:
    """What a resource test declares. ``make(world, org)`` is the factory for one object in ``org``."""

    url_base: ClassVar[str] = ""
    model: ClassVar[type[Model] | None] = None
    #: Roles of ``a`` that may list and read (all of them by default).
    read_roles: ClassVar[tuple[str, ...]] = ROLES

    def make(self, world: World, org: Any) -> Model:
        raise NotImplementedError

    def detail_url(self, obj: Model, suffix: str = "") -> str:
        return f"{self.url_base}{obj.pk}/" + (f"{suffix.strip('/')}/" if suffix else "")

    @pytest.fixture
    def objs(self, world: World) -> tuple[Model, Model]:
        """One object in ``a`` (ours) and one in ``b`` (the other tenant's)."""
        return self.make(world, world.a), self.make(world, world.b)


class ListTests(APIResourceTest):
    paginated: ClassVar[bool] = True
    #: The role of ``a`` the filter and pagination checks list as (one that may list).
    filter_role: ClassVar[str] = "viewer"

    def test_list_requires_authentication(self, client_as, objs):
        assert client_as(None).get(self.url_base).status_code in (401, 403)

    def test_list_shows_own_tenant_to_every_read_role(self, client_as, objs):
        ours, theirs = objs
        for role in self.read_roles:
            ids = result_ids(client_as(role).get(self.url_base))
            assert ours.pk in ids, role
            assert theirs.pk not in ids, role

    def test_list_never_shows_other_tenant_even_when_asked(self, client_as, world, objs):
        ours, theirs = objs
        for who in OUTSIDERS:
            for query in ("", f"?organisation={world.b.id}", f"?organisation={world.other_partner.id}"):
                response = client_as(who).get(self.url_base + query)
                assert response.status_code < 500
                if response.status_code == 200:
                    assert theirs.pk not in result_ids(response), (who, query)

    def test_list_organisation_filter(self, client_as, world, objs):
        ours, _ = objs
        assert ours.pk in result_ids(
            client_as(self.filter_role).get(f"{self.url_base}?organisation={world.a.id}")
        )
        assert ours.pk not in result_ids(
            client_as(self.filter_role).get(f"{self.url_base}?organisation={world.other_partner.id}")
        )

    def test_list_bad_organisation_filter_is_400(self, client_as, objs):
        for bad in ("abc", "1.5", "[]", "-"):
            response = client_as(self.filter_role).get(f"{self.url_base}?organisation={bad}")
            assert response.status_code == 400, bad
            assert "organisation" in response.json()["errors"]
        huge = client_as(self.filter_role).get(f"{self.url_base}?organisation={10**30}")
        assert huge.status_code < 500
        if huge.status_code == 200:
            assert result_ids(huge) == set()

    def test_list_partner_admin_sees_its_customers(self, client_as, objs):
        ours, theirs = objs
        ids = result_ids(client_as("partner_admin").get(self.url_base))
        assert ours.pk in ids
        assert theirs.pk not in ids

    def test_list_is_paginated(self, client_as, objs):
        if not self.paginated:
            pytest.skip("not paginated")
        data = client_as(self.filter_role).get(f"{self.url_base}?limit=1&offset=0").json()
        assert {"count", "next", "previous", "results"} <= set(data)
        assert len(data["results"]) <= 1


class DetailTests(APIResourceTest):
    def test_detail_for_every_read_role(self, client_as, objs):
        ours, _ = objs
        for role in self.read_roles:
            response = client_as(role).get(self.detail_url(ours))
            assert response.status_code == 200, role
            assert response.json()["id"] == ours.pk

    def test_detail_requires_authentication(self, client_as, objs):
        assert client_as(None).get(self.detail_url(objs[0])).status_code in (401, 403)

    def test_detail_of_other_tenant_is_404(self, client_as, objs):
        _, theirs = objs
        for who in OUTSIDERS:
            assert_not_found(client_as(who).get(self.detail_url(theirs)), who)

    def test_detail_partner_admin_reads_customer(self, client_as, objs):
        assert client_as("partner_admin").get(self.detail_url(objs[0])).status_code == 200

    def test_detail_bad_ids_are_404(self, client_as, objs):
        for bad in ("abc", "0", "-1", str(10**30), "1.5"):
            response = client_as("admin").get(f"{self.url_base}{bad}/")
            assert response.status_code == 404, (bad, response.status_code)


class CreateTests(APIResourceTest):
    create_url: ClassVar[str | None] = None
    create_roles: ClassVar[tuple[str, ...]] = ("admin", "builder")
    create_audit_action: ClassVar[str] = ""

    def create_payload(self, world: World, org: Any) -> dict[str, Any]:
        raise NotImplementedError

    def created_org(self, world: World, org: Any, data: dict[str, Any]) -> Any:
        """The organisation the audit row of a create names (the target organisation by default)."""
        return org

    def _create(self, client, payload):
        return client.post(self.create_url or self.url_base, payload, format="json")

    def _count(self) -> int:
        return self.model._default_manager.count()

    def test_create_as_each_allowed_role(self, client_as, world):
        for i, role in enumerate(self.create_roles):
            payload = self.create_payload(world, world.a) | self.unique(i)
            before, since = self._count(), last_audit_id()
            response = self._create(client_as(role), payload)
            assert response.status_code == 201, (role, response.content[:500])
            data = response.json()
            assert self._count() == before + 1
            assert self.model._default_manager.filter(pk=data["id"]).exists()
            assert_one_audit(
                since,
                action=self.create_audit_action,
                actor=world.user(role),
                organisation=self.created_org(world, world.a, data),
                object_id=data["id"],
            )

    def unique(self, i: int) -> dict[str, Any]:
        """Payload overrides that keep repeated creates distinct."""
        return {}

    def test_create_denied_roles_get_403(self, client_as, world):
        for role in (r for r in ROLES if r not in self.create_roles):
            payload = self.create_payload(world, world.a)
            before, since = self._count(), last_audit_id()
            response = self._create(client_as(role), payload)
            assert response.status_code == 403, (role, response.status_code, response.content[:300])
            assert self._count() == before
            assert audit_since(since) == []

    def test_create_in_other_tenant_is_404(self, client_as, world):
        payloads = {who: self.create_payload(world, world.b) for who in OUTSIDERS}
        before, since = self._count(), last_audit_id()
        for who in OUTSIDERS:
            response = self._create(client_as(who), payloads[who])
            assert_not_found(response, who)
        assert self._count() == before
        assert audit_since(since) == []

    def test_create_partner_admin_in_customer(self, client_as, world):
        payload = self.create_payload(world, world.a)
        since = last_audit_id()
        response = self._create(client_as("partner_admin"), payload)
        assert response.status_code == 201, response.content[:500]
        assert_one_audit(
            since,
            action=self.create_audit_action,
            actor=world.partner_admin,
            organisation=self.created_org(world, world.a, response.json()),
        )

    def test_create_requires_authentication(self, client_as, world):
        assert self._create(client_as(None), self.create_payload(world, world.a)).status_code in (401, 403)


class UpdateTests(APIResourceTest):
    update_payload: ClassVar[dict[str, Any]] = {}
    update_roles: ClassVar[tuple[str, ...]] = ("admin", "builder")
    update_audit_action: ClassVar[str] = ""

    def assert_updated(self, obj: Model, payload: dict[str, Any]) -> None:
        obj.refresh_from_db()
        for key, value in payload.items():
            assert getattr(obj, key) == value, key

    def test_update_as_each_allowed_role(self, client_as, world):
        for role in self.update_roles:
            obj = self.make(world, world.a)
            since = last_audit_id()
            response = client_as(role).patch(self.detail_url(obj), self.update_payload, format="json")
            assert response.status_code == 200, (role, response.content[:500])
            self.assert_updated(obj, self.update_payload)
            assert_one_audit(
                since,
                action=self.update_audit_action,
                actor=world.user(role),
                organisation=world.a,
                object_id=obj.pk,
            )

    def test_update_denied_roles_get_403(self, client_as, world, objs):
        ours, _ = objs
        for role in (r for r in ROLES if r not in self.update_roles):
            since = last_audit_id()
            response = client_as(role).patch(self.detail_url(ours), self.update_payload, format="json")
            assert response.status_code == 403, (role, response.status_code)
            assert audit_since(since) == []

    def test_update_of_other_tenant_is_404(self, client_as, objs):
        _, theirs = objs
        since = last_audit_id()
        for who in OUTSIDERS:
            assert_not_found(
                client_as(who).patch(self.detail_url(theirs), self.update_payload, format="json"), who
            )
            assert_not_found(
                client_as(who).put(self.detail_url(theirs), self.update_payload, format="json"), who
            )
        assert audit_since(since) == []

    def test_update_partner_admin_edits_customer(self, client_as, objs):
        response = client_as("partner_admin").patch(
            self.detail_url(objs[0]), self.update_payload, format="json"
        )
        assert response.status_code == 200


class DeleteTests(APIResourceTest):
    delete_roles: ClassVar[tuple[str, ...]] = ("admin", "builder")
    delete_audit_action: ClassVar[str] = ""

    def test_delete_as_each_allowed_role(self, client_as, world):
        for role in self.delete_roles:
            obj = self.make(world, world.a)
            pk, since = obj.pk, last_audit_id()
            response = client_as(role).delete(self.detail_url(obj))
            assert response.status_code == 204, (role, response.content[:300])
            assert not self.model._default_manager.filter(pk=pk).exists()
            assert_one_audit(
                since,
                action=self.delete_audit_action,
                actor=world.user(role),
                organisation=world.a,
                object_id=pk,
            )

    def test_delete_denied_roles_get_403(self, client_as, world, objs):
        ours, _ = objs
        for role in (r for r in ROLES if r not in self.delete_roles):
            since = last_audit_id()
            assert client_as(role).delete(self.detail_url(ours)).status_code == 403, role
            assert self.model._default_manager.filter(pk=ours.pk).exists()
            assert audit_since(since) == []

    def test_delete_of_other_tenant_is_404(self, client_as, objs):
        _, theirs = objs
        for who in OUTSIDERS:
            assert_not_found(client_as(who).delete(self.detail_url(theirs)), who)
        assert self.model._default_manager.filter(pk=theirs.pk).exists()


@dataclass
class Act:
    """One custom action: ``method`` on ``<detail>/<path>/`` with ``payload`` (a dict or ``f(obj)``).

    ``allowed`` maps a role of ``a`` to the status it gets; every other role gets 403. ``audit`` is the
    audit action one call writes (empty: the action does not mutate). ``make`` overrides the resource's
    factory (e.g. a failed run for retry).
    """

    method: str
    path: str
    payload: Any = None
    allowed: dict[str, int] = field(default_factory=dict)
    audit: str = ""
    make: Callable[[Any, World, Any], Model] | None = None
    denied_status: int = 403

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


class ActionTests(APIResourceTest):
    actions: ClassVar[list[Act]] = []

    def _make_for(self, act: Act, world: World, org: Any) -> Model:
        return act.make(self, world, org) if act.make else self.make(world, org)

    def _call(self, client, act: Act, obj: Model):
        send = getattr(client, act.method)
        return send(self.detail_url(obj, act.path), resolve(act.payload, obj), format="json")

    def test_actions_of_other_tenant_are_404(self, client_as, world):
        for act in self.actions:
            theirs = self._make_for(act, world, world.b)
            since = last_audit_id()
            for who in OUTSIDERS:
                assert_not_found(self._call(client_as(who), act, theirs), f"{act} as {who}")
            assert audit_since(since) == [], str(act)

    def test_actions_allowed_roles(self, client_as, world):
        for act in self.actions:
            for role, expected in act.allowed.items():
                obj = self._make_for(act, world, world.a)
                since = last_audit_id()
                response = self._call(client_as(role), act, obj)
                assert response.status_code == expected, (str(act), role, response.content[:500])
                if act.audit:
                    assert_one_audit(since, action=act.audit, actor=world.user(role), organisation=world.a)
                else:
                    assert audit_since(since) == [], str(act)

    def test_actions_denied_roles(self, client_as, world):
        for act in self.actions:
            obj = self._make_for(act, world, world.a)
            for role in (r for r in ROLES if r not in act.allowed):
                since = last_audit_id()
                response = self._call(client_as(role), act, obj)
                assert response.status_code == act.denied_status, (str(act), role, response.content[:300])
                assert audit_since(since) == [], (str(act), role)

    def test_actions_require_authentication(self, client_as, world):
        for act in self.actions:
            obj = self._make_for(act, world, world.a)
            assert self._call(client_as(None), act, obj).status_code in (401, 403), str(act)
