"""Sharing one flow or connection with a user or a role beyond their defaults, and who has access.

Shares are django-guardian object permissions (tenancy.sharing); they never leave the object's tenant
except to the people of its organisation's partner.
"""

from __future__ import annotations

from rest_framework.test import APIClient

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials.models import Connection
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy import sharing
from flowbuilder.tenancy.models import Membership
from tests.support.documents import manual_document

from .conftest import ROLES
from .mixins import Act, ActionTests, assert_one_audit, audit_since, last_audit_id, result_ids

ALL = dict.fromkeys(ROLES, 200)


def shared_with_viewers(test, world, org):
    obj = test.make(world, org)
    sharing.share(
        actor=world.admin_of(org),
        obj=obj,
        who=sharing.recipient(obj, role="viewer"),
        permissions=["view", "change"],
    )
    return obj


def make_connection(world, org, name="Shared ERP") -> Connection:
    return credential_actions.create_connection(
        actor=world.admin_of(org),
        organisation=org,
        name=name,
        connector="http",
        base_url="https://erp.example.com",
        credential_type="bearer",
        credentials={"token": "tok-shared"},
    )


class TestFlowSharing(ActionTests):
    url_base = "/api/flows/"
    model = Flow
    actions = [
        Act("get", "access", None, ALL),
        Act(
            "post", "share", {"role": "viewer", "permissions": ["change"]}, {"admin": 200}, audit="flow.share"
        ),
        Act(
            "post",
            "unshare",
            {"role": "viewer"},
            {"admin": 200},
            audit="flow.unshare",
            make=shared_with_viewers,
        ),
    ]

    def make(self, world, org):
        return world.make_flow(org, name="Shared flow")


class TestConnectionSharing(ActionTests):
    url_base = "/api/connections/"
    model = Connection
    counter = 0
    actions = [
        Act("get", "access", None, ALL),
        Act(
            "post",
            "share",
            {"role": "operator", "permissions": ["change"]},
            {"admin": 200},
            audit="connection.share",
        ),
        Act(
            "post",
            "unshare",
            {"role": "viewer"},
            {"admin": 200},
            audit="connection.unshare",
            make=shared_with_viewers,
        ),
    ]

    def make(self, world, org):
        TestConnectionSharing.counter += 1
        return make_connection(world, org, f"ERP {TestConnectionSharing.counter}")


def test_a_user_share_lets_a_viewer_edit_one_flow_until_it_is_taken_back(client_as, world):
    flow, other = world.make_flow(world.a, name="Shared"), world.make_flow(world.a, name="Not shared")
    viewer = world.users["viewer"]
    assert (
        client_as("viewer").patch(f"/api/flows/{flow.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    since = last_audit_id()
    response = client_as("admin").post(
        f"/api/flows/{flow.pk}/share/", {"user": viewer.pk, "permissions": ["change"]}, format="json"
    )
    assert response.status_code == 200, response.content
    row = assert_one_audit(since, action="flow.share", actor=world.users["admin"], organisation=world.a)
    assert row.after == {"user": viewer.pk, "username": "a-viewer", "permissions": ["view", "change"]}
    assert row.before is None
    me = next(p for p in response.json()["people"] if p["username"] == "a-viewer")
    assert me["permissions"] == ["view", "change"] and "shared with them" in me["via"]
    assert (
        client_as("viewer").patch(f"/api/flows/{flow.pk}/", {"name": "Renamed"}, format="json").status_code
        == 200
    )
    assert (
        client_as("viewer").patch(f"/api/flows/{other.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    # Sharing change does not give publish or run.
    assert client_as("viewer").post(f"/api/flows/{flow.pk}/publish/", {}, format="json").status_code == 403

    since = last_audit_id()
    response = client_as("admin").post(f"/api/flows/{flow.pk}/unshare/", {"user": viewer.pk}, format="json")
    assert response.status_code == 200
    assert_one_audit(since, action="flow.unshare", actor=world.users["admin"], organisation=world.a)
    assert response.json()["shares"] == []
    assert (
        client_as("viewer").patch(f"/api/flows/{flow.pk}/", {"name": "y"}, format="json").status_code == 403
    )


def test_a_role_share_follows_the_role_and_deactivation(client_as, world):
    flow = world.make_flow(world.a, name="Runnable", published=True)
    client_as("admin").post(
        f"/api/flows/{flow.pk}/share/", {"role": "viewer", "permissions": ["run"]}, format="json"
    )
    run = client_as("viewer").post(f"/api/flows/{flow.pk}/run/", {"input": {"n": 1}}, format="json")
    assert run.status_code == 201, run.content
    access = client_as("viewer").get(f"/api/flows/{flow.pk}/access/").json()
    assert access["shares"] == [
        {
            "user": None,
            "username": None,
            "role": "viewer",
            "organisation": world.a.id,
            "organisation_name": world.a.name,
            "permissions": ["view", "run"],
        }
    ]
    assert access["candidates"] == []  # only admins see whom they could share with
    membership = Membership.objects.get(user=world.users["viewer"], organisation=world.a)
    membership.role = "approver"
    membership.save()
    assert client_as("viewer").post(f"/api/flows/{flow.pk}/run/", {}, format="json").status_code == 403


def test_shares_never_cross_tenants_except_to_the_partners_people(client_as, world, make_user):
    flow = world.make_flow(world.a, name="Tenant bound")
    since = last_audit_id()
    for payload, field in (
        ({"user": world.b_builder.pk, "permissions": ["change"]}, "user"),
        ({"user": world.stranger.pk, "permissions": ["view"]}, "user"),
        ({"role": "builder", "organisation": world.b.id, "permissions": ["change"]}, "organisation"),
        (
            {"role": "builder", "organisation": world.other_partner.id, "permissions": ["view"]},
            "organisation",
        ),
        ({"user": world.users["viewer"].pk, "permissions": ["delete"]}, "permissions"),
        ({"permissions": ["view"]}, "user"),
    ):
        response = client_as("admin").post(f"/api/flows/{flow.pk}/share/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json()["errors"], (payload, response.json())
    assert audit_since(since) == []
    # b's user cannot see it whatever is in the guardian tables.
    from guardian.shortcuts import assign_perm

    assign_perm("flows.change_flow", world.b_builder, flow)
    client = APIClient()
    client.force_authenticate(world.b_builder)
    assert client.get(f"/api/flows/{flow.pk}/").status_code == 404
    assert flow.pk not in result_ids(client.get("/api/flows/"))

    # A partner's consultant (not an admin) may be given one customer flow.
    consultant = make_user("consultant", world.partner, "builder")
    client.force_authenticate(consultant)
    assert client.get(f"/api/flows/{flow.pk}/").status_code == 404
    response = client_as("partner_admin").post(
        f"/api/flows/{flow.pk}/share/", {"user": consultant.pk, "permissions": ["change"]}, format="json"
    )
    assert response.status_code == 200
    assert "consultant" in {c["username"] for c in response.json()["candidates"]}
    client.force_authenticate(type(consultant).objects.get(pk=consultant.pk))
    assert flow.pk in result_ids(client.get("/api/flows/"))
    assert (
        client.put(
            f"/api/flows/{flow.pk}/draft/",
            {"document": manual_document(2), "revision": flow.draft_revision},
            format="json",
        ).status_code
        == 200
    )
    # ... and loses it when they leave the partner.
    Membership.objects.filter(user=consultant).update(is_active=False)
    client.force_authenticate(type(consultant).objects.get(pk=consultant.pk))
    assert client.get(f"/api/flows/{flow.pk}/").status_code == 404


def test_a_connection_share_lets_an_operator_edit_that_connection(client_as, world):
    connection, other = make_connection(world, world.a), make_connection(world, world.a, "Other")
    operator = world.users["operator"]
    response = client_as("admin").post(
        f"/api/connections/{connection.pk}/share/",
        {"user": operator.pk, "permissions": ["change"]},
        format="json",
    )
    assert response.status_code == 200
    assert (
        client_as("operator")
        .patch(f"/api/connections/{connection.pk}/", {"name": "Mine"}, format="json")
        .status_code
        == 200
    )
    assert (
        client_as("operator")
        .patch(f"/api/connections/{other.pk}/", {"name": "No"}, format="json")
        .status_code
        == 403
    )
    people = {
        p["username"]: p
        for p in client_as("admin").get(f"/api/connections/{connection.pk}/access/").json()["people"]
    }
    assert people["a-operator"]["permissions"] == ["view", "change"]
    assert people["a-builder"]["via"] == ["Builder of Customer A"]
    assert people["p-admin"]["via"] == ["Admin of Partner One"]
    assert "b-admin" not in people


def test_unsharing_what_was_never_shared_is_a_400(client_as, world):
    flow = world.make_flow(world.a)
    response = client_as("admin").post(f"/api/flows/{flow.pk}/unshare/", {"role": "operator"}, format="json")
    assert response.status_code == 400
