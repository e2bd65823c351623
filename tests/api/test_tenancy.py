"""Organisations (+ customers), memberships, me, login and logout."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from flowbuilder.tenancy.models import Membership, Organisation

from .mixins import (
    OUTSIDERS,
    CreateTests,
    DeleteTests,
    DetailTests,
    ListTests,
    assert_not_found,
    assert_one_audit,
    audit_since,
    last_audit_id,
    result_ids,
)


class TestOrganisations(ListTests, DetailTests):
    url_base = "/api/organisations/"
    model = Organisation

    def make(self, world, org):
        return org

    def test_partner_admin_sees_partner_and_customers_only(self, client_as, world):
        ids = result_ids(client_as("partner_admin").get(self.url_base))
        assert ids == {world.partner.id, world.a.id}

    def test_customer_member_does_not_see_its_partner(self, client_as, world):
        assert result_ids(client_as("admin").get(self.url_base)) == {world.a.id}
        assert_not_found(client_as("admin").get(self.detail_url(world.partner)))

    def test_organisations_are_read_only(self, client_as, world):
        client = client_as("admin")
        assert client.post(self.url_base, {"name": "x"}, format="json").status_code == 405
        assert client.patch(self.detail_url(world.a), {"name": "x"}, format="json").status_code == 405
        assert client.delete(self.detail_url(world.a)).status_code == 405
        world.a.refresh_from_db()
        assert world.a.name == "Customer A"


class TestCustomersAction:
    def url(self, org):
        return f"/api/organisations/{org.pk}/customers/"

    def test_partner_admin_creates_customer(self, client_as, world):
        since = last_audit_id()
        response = client_as("partner_admin").post(
            self.url(world.partner), {"name": "Acme Ltd"}, format="json"
        )
        assert response.status_code == 201
        data = response.json()
        assert (data["kind"], data["parent"]) == ("customer", world.partner.id)
        assert_one_audit(
            since,
            action="organisation.create",
            actor=world.partner_admin,
            organisation=data["id"],
            object_id=data["id"],
        )
        # The new customer is the partner admin's to administer at once.
        assert data["id"] in result_ids(client_as("partner_admin").get("/api/organisations/"))

    def test_non_admins_of_the_partner_get_403(self, client_as, world):
        user_model = get_user_model()
        for role in ("builder", "operator", "approver", "viewer"):
            user = user_model.objects.create_user(f"p-{role}")
            Membership.objects.create(user=user, organisation=world.partner, role=role)
            client = APIClient()
            client.force_authenticate(user)
            assert client.post(self.url(world.partner), {"name": "x"}, format="json").status_code == 403, role
        assert not Organisation.objects.filter(name="x").exists()

    def test_customer_admin_cannot_create_customers_of_a_customer(self, client_as, world):
        assert client_as("admin").post(self.url(world.a), {"name": "x"}, format="json").status_code == 403

    def test_other_partner_is_404(self, client_as, world):
        since = last_audit_id()
        for who in OUTSIDERS:
            assert_not_found(
                client_as(who).post(self.url(world.other_partner), {"name": "x"}, format="json"), who
            )
            assert_not_found(client_as(who).post(self.url(world.b), {"name": "x"}, format="json"), who)
        assert audit_since(since) == []

    def test_bad_payload(self, client_as, world):
        for payload in ({}, {"name": ""}, {"name": None}, {"name": "x" * 201}, {"name": ["a"]}):
            response = client_as("partner_admin").post(self.url(world.partner), payload, format="json")
            assert response.status_code == 400, payload
            assert "name" in response.json()["errors"]


class TestMemberships(ListTests, CreateTests, DeleteTests):
    url_base = "/api/memberships/"
    model = Membership
    create_roles = ("admin",)
    create_audit_action = "membership.set"
    delete_roles = ("admin",)
    delete_audit_action = "membership.remove"
    counter = 0

    def make(self, world, org):
        TestMemberships.counter += 1
        user = get_user_model().objects.create_user(f"member-{TestMemberships.counter}")
        return Membership.objects.create(user=user, organisation=org, role="viewer")

    def create_payload(self, world, org):
        TestMemberships.counter += 1
        user = get_user_model().objects.create_user(f"invitee-{TestMemberships.counter}")
        return {"organisation": org.id, "username": user.username, "role": "builder"}

    def test_changing_a_role(self, client_as, world):
        viewer = world.users["viewer"]
        since = last_audit_id()
        response = client_as("admin").post(
            self.url_base,
            {"organisation": world.a.id, "username": viewer.username, "role": "operator"},
            format="json",
        )
        assert response.status_code == 201
        assert Membership.objects.get(user=viewer, organisation=world.a).role == "operator"
        row = assert_one_audit(
            since, action="membership.set", actor=world.users["admin"], organisation=world.a
        )
        assert row.before == {"role": "viewer"}

    def test_admin_of_a_cannot_grant_itself_into_b(self, client_as, world):
        response = client_as("admin").post(
            self.url_base, {"organisation": world.b.id, "username": "a-admin", "role": "admin"}, format="json"
        )
        assert_not_found(response)
        assert not Membership.objects.filter(user=world.users["admin"], organisation=world.b).exists()

    def test_bad_payloads(self, client_as, world):
        cases = [
            ({"organisation": world.a.id, "username": "nobody-here", "role": "viewer"}, "username"),
            ({"organisation": world.a.id, "username": "a-viewer", "role": "god"}, "role"),
            ({"organisation": "abc", "username": "a-viewer", "role": "viewer"}, "organisation"),
            ({"username": "a-viewer", "role": "viewer"}, "organisation"),
            ({"organisation": world.a.id, "role": "viewer"}, "username"),
        ]
        for payload, field in cases:
            response = client_as("admin").post(self.url_base, payload, format="json")
            assert response.status_code == 400, payload
            assert field in response.json()["errors"], (payload, response.json())


class TestMe:
    def test_me(self, client_as, world):
        data = client_as("builder").get("/api/me/").json()
        assert data["username"] == "a-builder"
        assert data["display_name"] == "a-builder"
        assert data["organisations"] == [
            {
                "id": world.a.id,
                "name": "Customer A",
                "kind": "customer",
                "parent": world.partner.id,
                "role": "builder",
                "actions": ["change", "publish", "run", "view"],
            }
        ]

    def test_partner_admin_sees_customers_as_admin(self, client_as, world):
        orgs = client_as("partner_admin").get("/api/me/").json()["organisations"]
        assert {(o["id"], o["role"]) for o in orgs} == {(world.partner.id, "admin"), (world.a.id, "admin")}

    def test_stranger_has_no_organisations(self, client_as):
        assert client_as("stranger").get("/api/me/").json()["organisations"] == []

    def test_anonymous(self, client_as):
        assert client_as(None).get("/api/me/").status_code in (401, 403)


class TestAuth:
    def test_login_and_logout_write_audit_rows(self, world):
        client = APIClient(enforce_csrf_checks=True)
        since = last_audit_id()
        response = client.post(
            "/api/auth/login/", {"username": "a-viewer", "password": "pw-12345678"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["username"] == "a-viewer"
        assert_one_audit(since, action="auth.login", actor=world.users["viewer"], organisation=None)
        assert client.get("/api/me/").status_code == 200

        since = last_audit_id()
        token = client.cookies["csrftoken"].value
        response = client.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 204
        assert_one_audit(since, action="auth.logout", actor=world.users["viewer"], organisation=None)
        assert client.get("/api/me/").status_code in (401, 403)

    def test_logout_without_csrf_token_is_refused(self, world):
        client = APIClient(enforce_csrf_checks=True)
        client.post("/api/auth/login/", {"username": "a-viewer", "password": "pw-12345678"}, format="json")
        assert client.post("/api/auth/logout/").status_code == 403

    def test_wrong_password(self, world):
        since = last_audit_id()
        response = APIClient().post(
            "/api/auth/login/", {"username": "a-viewer", "password": "nope"}, format="json"
        )
        assert response.status_code == 400
        assert "password" in response.json()["errors"]
        # No sign-in is recorded; the failure is (issue 15: login failures are in the audit trail).
        assert [row.action for row in audit_since(since)] == ["auth.login_failed"]

    def test_bad_login_payloads(self, world):
        for payload, field in (
            ({}, "username"),
            ({"username": "a-viewer"}, "password"),
            ({"password": "x"}, "username"),
        ):
            response = APIClient().post("/api/auth/login/", payload, format="json")
            assert response.status_code == 400
            assert field in response.json()["errors"]

    def test_logout_anonymous(self, world):
        assert APIClient().post("/api/auth/logout/").status_code in (401, 403)

    def test_token_auth(self, world):
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=world.users["viewer"])
        client = APIClient()
        assert client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
        assert client.get("/api/me/", HTTP_AUTHORIZATION="Token wrong").status_code in (401, 403)
