"""/api/connections/ with the generic mixins (role matrix, tenant isolation, one audit row per mutation),
the Connect action (``authorize``), the ``/oauth/callback/`` route, and host changes through the API."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from flowbuilder.credentials import actions
from flowbuilder.credentials.models import AuthState, Connection
from tests.support.fake_oauth import FakeAuthServer
from tests.support.sandbox_auth import consent

from .mixins import (
    Act,
    ActionTests,
    CreateTests,
    DeleteTests,
    DetailTests,
    ListTests,
    UpdateTests,
    assert_not_found,
)

CHANGERS = {"admin": 200, "builder": 200}
SECRET = "tok-API-SECRET-9"


def make_bearer(test, world, org):
    return actions.create_connection(
        actor=world.admin_of(org),
        organisation=org,
        name=f"Billing {Connection.objects.count()}",
        connector="http",
        base_url="http://127.0.0.1:9/v1",  # never reached: the organisation's egress policy refuses it
        credential_type="bearer",
        credentials={"token": SECRET},
    )


def make_connect_type(test, world, org, authorize_url="https://login.example.com/authorize"):
    return actions.create_connection(
        actor=world.admin_of(org),
        organisation=org,
        name=f"Connect {Connection.objects.count()}",
        connector="http",
        base_url="https://api.example.com",
        credential_type="oauth2_authorization_code",
        credentials={
            "authorize_url": authorize_url,
            "token_url": authorize_url.rsplit("/", 1)[0] + "/token",
            "client_id": "app-client",
            "client_secret": "app-secret",
        },
    )


class TestConnections(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests, ActionTests):
    url_base = "/api/connections/"
    model = Connection
    create_audit_action = "connection.create"
    update_audit_action = "connection.update"
    delete_audit_action = "connection.delete"
    update_payload = {"environment": "test"}
    actions = [
        Act("post", "test", None, CHANGERS, audit="connection.test"),
        Act("post", "authorize", None, CHANGERS, audit="connection.authorize", make=make_connect_type),
    ]

    def make(self, world, org):
        return make_bearer(self, world, org)

    def create_payload(self, world, org):
        return {
            "organisation": org.id,
            "name": "Billing API",
            "connector": "http",
            "base_url": "https://billing.example.com/v1",
            "credential_type": "bearer",
            "credentials": {"token": SECRET},
        }

    def unique(self, i):
        return {"name": f"Billing API {i}"}

    def test_shape_says_where_authorisation_stands_never_a_secret(self, client_as, world):
        conn = make_connect_type(self, world, world.a)
        data = client_as("viewer").get(self.detail_url(conn)).json()
        assert data["auth_state"] == "not_connected" and data["connected_at"] is None
        assert data["credential_expires_at"] is None and data["api_usage"] is None
        assert "app-secret" not in str(data)
        registry = {c["key"]: c for c in client_as("viewer").get("/api/connectors/").json()}
        types = {t["key"]: t for t in registry["kantata"]["credential_types"]}
        assert set(types) == {"kantata_oauth", "bearer"} and types["kantata_oauth"]["connect"] is True
        assert types["bearer"]["connect"] is False

    def test_authorize_answers_the_systems_url_with_state_and_pkce(self, client_as, world):
        conn = make_connect_type(self, world, world.a)
        data = client_as("builder").post(self.detail_url(conn, "authorize")).json()
        query = dict(parse_qsl(urlsplit(data["authorize_url"]).query))
        assert data["authorize_url"].startswith("https://login.example.com/authorize?")
        assert query["redirect_uri"] == "http://testserver/oauth/callback/"
        assert query["code_challenge_method"] == "S256" and query["state"] and data["expires_at"]

    def test_authorize_of_a_typed_credential_is_400_naming_the_field(self, client_as, world):
        response = client_as("builder").post(self.detail_url(make_bearer(self, world, world.a), "authorize"))
        assert response.status_code == 400
        assert "credential_type" in response.json()["errors"]

    def test_host_change_needs_the_secret_or_an_admin(self, client_as, world):
        conn = make_bearer(self, world, world.a)
        moved = {"base_url": "https://collector.example.net/v1"}
        refused = client_as("builder").patch(self.detail_url(conn), moved, format="json")
        assert refused.status_code == 400 and "credentials.token" in refused.json()["errors"]
        confirm = {**moved, "confirm_host_change": True}
        assert client_as("builder").patch(self.detail_url(conn), confirm, format="json").status_code == 403
        allowed = client_as("admin").patch(self.detail_url(conn), confirm, format="json")
        assert allowed.status_code == 200 and allowed.json()["secrets_set"] == ["token"]
        again = client_as("builder").patch(
            self.detail_url(conn),
            {"base_url": "https://third.example.org", "credentials": {"token": "t2"}},
            format="json",
        )
        assert again.status_code == 200


@pytest.fixture
def auth_server():
    server = FakeAuthServer()
    yield server
    server.close()


@pytest.fixture
def browser(world):
    """A browser session (the callback is a plain page, not the API)."""

    def make(who: str) -> Client:
        client = Client()
        client.force_login(world.user(who))
        return client

    return make


def start(client_as, conn) -> str:
    return client_as("builder").post(f"/api/connections/{conn.pk}/authorize/").json()["authorize_url"]


def test_callback_connects_and_returns_to_the_connections_page(client_as, browser, world, auth_server):
    world.a.egress_allowlist = ["127.0.0.1"]
    world.a.save()
    conn = make_connect_type(None, world, world.a, authorize_url=auth_server.authorize_url)
    back = consent(start(client_as, conn))
    response = browser("builder").get("/oauth/callback/", back)
    assert response.status_code == 302 and response["Location"] == f"/connections?connected={conn.pk}"
    assert response["Referrer-Policy"] == "no-referrer"
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.CONNECTED
    replay = browser("builder").get("/oauth/callback/", back)
    assert "connect_error=" in replay["Location"]  # single use


def test_callback_errors_go_back_with_a_message(client_as, browser, world, auth_server):
    conn = make_connect_type(None, world, world.a, authorize_url=auth_server.authorize_url)
    state = dict(parse_qsl(urlsplit(start(client_as, conn)).query))["state"]
    denied = browser("builder").get("/oauth/callback/", {"state": state, "error": "access_denied"})
    location = denied["Location"]
    assert (
        location.startswith(f"/connections?connection={conn.pk}&connect_error=")
        and "access_denied" in location
    )
    unknown = browser("builder").get("/oauth/callback/", {"state": "forged", "code": "x"})
    assert unknown["Location"].startswith("/connections?connect_error=")
    state = dict(parse_qsl(urlsplit(start(client_as, conn)).query))["state"]
    someone_else = browser("admin").get("/oauth/callback/", {"state": state, "code": "x"})
    assert "another+user" in someone_else["Location"]


def test_callback_requires_a_session_and_other_tenants_cannot_connect(client_as, world):
    anonymous = Client().get("/oauth/callback/", {"state": "s", "code": "c"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")
    theirs = make_connect_type(None, world, world.b)
    for who in ("builder", "admin", "partner_admin", "stranger"):
        assert_not_found(client_as(who).post(f"/api/connections/{theirs.pk}/authorize/"), who)


def test_the_connections_page_is_served_as_a_deep_link(browser):
    assert browser("viewer").get("/connections").status_code == 200
