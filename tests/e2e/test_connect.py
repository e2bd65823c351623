"""Connect in the browser: a builder clicks Connect on the connections page, the system's authorization
server sends the browser back to /oauth/callback/, the tokens are stored, and the page tests the
connection green. Here the authorization server is the strict local fake (tests/support/fake_oauth.py),
which approves at once; the sandbox's consent pages are the other half of the issue's end-to-end test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.credentials import actions
from flowbuilder.credentials.models import AuthState, Connection
from flowbuilder.credentials.vault import get_vault
from tests.support.fake_oauth import FakeAuthServer

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auth_server() -> Iterator[FakeAuthServer]:
    server = FakeAuthServer(api_headers={"Sforce-Limit-Info": "api-usage=42/15000"})
    yield server
    server.close()


@pytest.fixture
def connect_connection(analyst: dict[str, Any], auth_server: FakeAuthServer) -> Connection:
    return actions.create_connection(
        actor=analyst["user"],
        organisation=analyst["org"],
        name="Billing API",
        connector="http",
        base_url=auth_server.url + "/api",
        credential_type="oauth2_authorization_code",
        credentials={
            "authorize_url": auth_server.authorize_url,
            "token_url": auth_server.token_url,
            "client_id": "app-client",
            "client_secret": "app-secret",
        },
    )


def test_builder_connects_and_the_connection_tests_green(
    strict_page: Page,
    live_server_url: str,
    analyst: dict[str, Any],
    connect_connection: Connection,
    auth_server: FakeAuthServer,
    artifacts,
):
    page = strict_page
    conn = connect_connection
    login_ui(page, live_server_url, analyst["username"])
    page.get_by_test_id("nav-connections").click()
    auth = page.get_by_test_id(f"connection-auth-{conn.pk}")
    expect(auth).to_have_attribute("data-state", "not_connected")

    page.get_by_test_id(f"connection-connect-{conn.pk}").click()
    # The fake approves at once: the browser goes through /oauth/callback/ and back to the page.
    expect(page).to_have_url(f"{live_server_url}/connections")
    expect(page.get_by_test_id(f"connection-last-test-{conn.pk}")).to_have_attribute("data-state", "ok")
    expect(auth).to_have_attribute("data-state", "connected")
    page.screenshot(path=str(artifacts / "connect-connected.png"), full_page=True)

    conn.refresh_from_db()
    assert conn.auth_state == AuthState.CONNECTED and conn.last_test_ok is True
    stored = get_vault().decrypt(conn.secrets_ciphertext)
    assert stored["access_token"].startswith("at-") and stored["refresh_token"].startswith("rt-")
    sent = auth_server.calls("/token", "authorization_code")[0].form
    assert sent["redirect_uri"] == f"{live_server_url}/oauth/callback/" and sent["code_verifier"]

    # The grant is revoked: the next test fails and the row asks to reconnect.
    auth_server.revoke_all()
    Connection.objects.filter(pk=conn.pk).update(
        secrets_ciphertext=get_vault().encrypt({**stored, "expires_at": 0})
    )
    page.reload()
    page.get_by_test_id(f"connection-test-{conn.pk}").click()
    expect(page.get_by_test_id(f"connection-last-test-{conn.pk}")).to_have_attribute("data-state", "failed")
    page.reload()
    expect(auth).to_have_attribute("data-state", "reconnect")
    expect(page.get_by_test_id(f"connection-connect-{conn.pk}")).to_have_text("Reconnect")
