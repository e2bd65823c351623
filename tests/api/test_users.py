"""Users: admins list their organisations' people, change roles, deactivate and reactivate, invite.

``/api/users/`` shows the members of the organisations the reader administers (a partner's admins: its
customers' too) with their memberships there only; ``/api/memberships/<id>/`` changes a role (PATCH),
``deactivate``/``reactivate`` switch one membership off and on. Every change writes one audit row.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from flowbuilder.tenancy.models import Membership
from tests.support.tenancy import PASSWORD

from .conftest import ROLES
from .mixins import (
    Act,
    ActionTests,
    DetailTests,
    ListTests,
    assert_not_found,
    assert_one_audit,
    audit_since,
    last_audit_id,
    result_ids,
)

ADMIN_ONLY = {"admin": 200}


def member(org, name: str, role: str = "viewer"):
    user = get_user_model().objects.create_user(name, password=PASSWORD, email=f"{name}@x.test")
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


class TestUsers(ListTests, DetailTests):
    url_base = "/api/users/"
    model = get_user_model()
    read_roles = ("admin",)
    filter_role = "admin"
    counter = 0

    def make(self, world, org):
        TestUsers.counter += 1
        return member(org, f"person-{TestUsers.counter}")

    def test_other_roles_may_not_list_or_read_people(self, client_as, objs):
        ours, _ = objs
        for role in (r for r in ROLES if r != "admin"):
            assert client_as(role).get(self.url_base).status_code == 403, role
            # Someone they do not administer is not found, like another tenant's person.
            assert_not_found(client_as(role).get(self.detail_url(ours)), role)

    def test_a_person_in_two_tenants_shows_only_the_readers_memberships(self, client_as, world):
        both = member(world.a, "in-both", "builder")
        Membership.objects.create(user=both, organisation=world.b, role="admin")
        row = client_as("admin").get(self.detail_url(both)).json()
        assert [(m["organisation"], m["role"]) for m in row["memberships"]] == [(world.a.id, "builder")]
        assert world.b.name not in str(row)

    def test_partner_admin_sees_each_customers_people_and_filters_by_customer(self, client_as, world):
        ids = result_ids(
            client_as("partner_admin").get(f"{self.url_base}?organisation={world.a.id}&limit=100")
        )
        assert {u.pk for u in world.users.values()} <= ids
        assert world.b_admin.pk not in ids and world.partner_admin.pk not in ids

    def test_last_login_and_invited_are_shown(self, client_as, world):
        before = client_as("admin").get(self.detail_url(world.users["viewer"])).json()
        assert before["last_login"] is None and before["invited"] is False and before["can_sign_in"] is True
        assert (
            APIClient()
            .post("/api/auth/login/", {"username": "a-viewer", "password": PASSWORD}, format="json")
            .status_code
            == 200
        )
        after = client_as("admin").get(self.detail_url(world.users["viewer"])).json()
        assert after["last_login"] is not None


class TestMembershipChanges(ActionTests):
    url_base = "/api/memberships/"
    model = Membership
    counter = 0

    def make(self, world, org):
        TestMembershipChanges.counter += 1
        user = member(org, f"staff-{TestMembershipChanges.counter}", "builder")
        return Membership.objects.get(user=user, organisation=org)

    def make_deactivated(self, world, org):
        membership = self.make(world, org)
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        membership.refresh_from_db()
        return membership

    actions = [
        Act("patch", "", {"role": "operator"}, ADMIN_ONLY, audit="membership.set"),
        Act("post", "deactivate", None, ADMIN_ONLY, audit="user.deactivate"),
        Act("post", "reactivate", None, ADMIN_ONLY, audit="user.reactivate", make=make_deactivated),
    ]

    def test_role_change_is_audited_with_before_and_after(self, client_as, world):
        membership = self.make(world, world.a)
        since = last_audit_id()
        response = client_as("admin").patch(
            f"/api/memberships/{membership.pk}/", {"role": "approver"}, format="json"
        )
        assert response.status_code == 200 and response.json()["role"] == "approver"
        row = assert_one_audit(
            since, action="membership.set", actor=world.users["admin"], organisation=world.a
        )
        assert row.before == {"role": "builder"} and row.after["role"] == "approver"

    def test_bad_role_is_a_400_naming_the_field(self, client_as, world):
        membership = self.make(world, world.a)
        response = client_as("admin").patch(
            f"/api/memberships/{membership.pk}/", {"role": "boss"}, format="json"
        )
        assert response.status_code == 400 and "role" in response.json()["errors"]

    def test_a_deactivated_member_loses_access_and_cannot_sign_in(self, client_as, world):
        viewer = world.users["viewer"]
        membership = Membership.objects.get(user=viewer, organisation=world.a)
        flow = world.make_flow(world.a)
        assert client_as("viewer").get(f"/api/flows/{flow.pk}/").status_code == 200
        since = last_audit_id()
        response = client_as("admin").post(f"/api/memberships/{membership.pk}/deactivate/")
        assert response.status_code == 200 and response.json()["is_active"] is False
        row = assert_one_audit(
            since, action="user.deactivate", actor=world.users["admin"], organisation=world.a
        )
        assert row.object_id == str(viewer.pk) and row.after["can_sign_in"] is False
        viewer.refresh_from_db()
        assert viewer.is_active is False
        login = APIClient().post(
            "/api/auth/login/", {"username": "a-viewer", "password": PASSWORD}, format="json"
        )
        assert login.status_code == 400
        assert client_as("viewer").get(f"/api/flows/{flow.pk}/").status_code in (401, 403, 404)
        # The admin still sees them (deactivated) and can bring them back.
        row = client_as("admin").get(f"/api/users/{viewer.pk}/").json()
        assert row["can_sign_in"] is False and row["memberships"][0]["is_active"] is False
        assert row["memberships"][0]["deactivated_by"] == "a-admin"
        assert client_as("admin").post(f"/api/memberships/{membership.pk}/reactivate/").status_code == 200
        viewer.refresh_from_db()
        assert viewer.is_active is True
        assert client_as("viewer").get(f"/api/flows/{flow.pk}/").status_code == 200

    def test_deactivation_in_one_tenant_leaves_the_other_intact(self, client_as, world):
        both = member(world.a, "consultant", "builder")
        Membership.objects.create(user=both, organisation=world.b, role="builder")
        membership = Membership.objects.get(user=both, organisation=world.a)
        assert client_as("admin").post(f"/api/memberships/{membership.pk}/deactivate/").status_code == 200
        both.refresh_from_db()
        assert both.is_active is True  # still b's builder: they sign in and see b only
        client = APIClient()
        client.force_authenticate(type(both).objects.get(pk=both.pk))
        orgs = {o["id"] for o in client.get("/api/me/").json()["organisations"]}
        assert orgs == {world.b.id}

    def test_nobody_deactivates_themselves_and_a_partner_keeps_an_admin(self, client_as, world):
        own = Membership.objects.get(user=world.users["admin"], organisation=world.a)
        response = client_as("admin").post(f"/api/memberships/{own.pk}/deactivate/")
        assert response.status_code == 400 and "yourself" in response.json()["detail"]
        last = Membership.objects.get(user=world.partner_admin, organisation=world.partner)
        since = last_audit_id()
        demote = client_as("partner_admin").patch(
            f"/api/memberships/{last.pk}/", {"role": "viewer"}, format="json"
        )
        assert demote.status_code == 400 and "last active admin" in demote.json()["detail"]
        assert client_as("partner_admin").delete(f"/api/memberships/{last.pk}/").status_code == 400
        assert audit_since(since) == []
        member(world.partner, "p-helper", "admin")
        demote = client_as("partner_admin").patch(
            f"/api/memberships/{last.pk}/", {"role": "viewer"}, format="json"
        )
        assert demote.status_code == 200

    def test_customer_admin_cannot_touch_partner_memberships(self, client_as, world):
        partner_membership = Membership.objects.get(user=world.partner_admin, organisation=world.partner)
        for path in ("deactivate/", "reactivate/", ""):
            method = "patch" if not path else "post"
            response = getattr(client_as("admin"), method)(
                f"/api/memberships/{partner_membership.pk}/{path}", {"role": "viewer"}, format="json"
            )
            assert_not_found(response, path)


def test_invite_then_set_password_then_sign_in(client_as, world):
    since = last_audit_id()
    response = client_as("partner_admin").post(
        f"/api/organisations/{world.a.id}/invite/",
        {"email": "New.Hire@A.example", "role": "builder"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [r.action for r in audit_since(since)] == ["membership.set", "user.invite"]
    [message] = mail.outbox
    link = re.search(r"http://testserver(/password-reset/[^\s]+/)", message.body).group(1)
    browser = APIClient()
    form = browser.get(link, follow=True)
    assert form.status_code == 200
    new_password = "a-Long-new-pass-4711"
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert done.status_code == 200
    login = APIClient().post(
        "/api/auth/login/", {"username": "new.hire@a.example", "password": new_password}, format="json"
    )
    assert login.status_code == 200
    listed = client_as("admin").get("/api/users/?search=new.hire").json()["results"]
    assert listed[0]["invited"] is False and listed[0]["last_login"] is not None
