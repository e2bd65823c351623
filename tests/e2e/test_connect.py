"""Connect in the browser: a builder clicks Connect on the connections page, consents on the system's page,
the system sends the browser back to /oauth/callback/, the tokens are stored, and the page tests the
connection green. Against the sandbox's consent pages (Kantata, Salesforce web server flow, NetSuite and
Microsoft Entra authorization code), and against the strict local fake (tests/support/fake_oauth.py),
which also shows the "Reconnect" state after a revocation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.credentials import actions
from flowbuilder.credentials.models import AuthState, Connection
from flowbuilder.credentials.vault import get_vault
from tests.support.fake_oauth import FakeAuthServer
from tests.support.sandbox import CLIENT

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


def sandbox_connect_type(system: str, sandbox_url: str) -> dict[str, Any]:
    """A Connect connection to the sandbox's default tenant, as a builder fills the form."""
    base = sandbox_url.rstrip("/")
    if system == "kantata":
        return {
            "connector": "kantata",
            "base_url": f"{base}/kantata",
            "credential_type": "kantata_oauth",
            "credentials": {
                **CLIENT,
                "authorize_url": f"{base}/kantata/oauth/authorize",
                "token_url": f"{base}/kantata/oauth/token",
            },
        }
    if system == "salesforce":
        return {
            "connector": "salesforce",
            "base_url": "https://acme.my.salesforce.example",  # replaced by the token's instance_url
            "credential_type": "salesforce_web_server",
            "credentials": {"login_url": f"{base}/salesforce", **CLIENT},
        }
    if system == "netsuite":
        return {
            "connector": "netsuite",
            "base_url": f"{base}/netsuite/SANDBOX",
            "credential_type": "netsuite_authorization_code",
            "credentials": {**CLIENT, "scope": "rest_webservices"},
        }
    return {
        "connector": "dynamics",
        "base_url": f"{base}/dynamics/v2.0/sandbox.onmicrosoft.com/production",
        "config": {"company_name": "Northwind Advisory Ltd"},
        "credential_type": "entra_authorization_code",
        "credentials": {**CLIENT, "tenant_id": "sandbox.onmicrosoft.com", "authority": f"{base}/dynamics"},
    }


@pytest.mark.parametrize("system", ["kantata", "salesforce", "netsuite", "dynamics"])
def test_builder_connects_on_the_sandbox_consent_page_and_tests_green(
    strict_page: Page, live_server_url: str, analyst: dict[str, Any], sandbox, system: str, artifacts
):
    page = strict_page
    conn = actions.create_connection(
        actor=analyst["user"],
        organisation=analyst["org"],
        name=f"{system.title()} (Connect)",
        **sandbox_connect_type(system, sandbox.url),
    )
    login_ui(page, live_server_url, analyst["username"])
    page.get_by_test_id("nav-connections").click()
    expect(page.get_by_test_id(f"connection-auth-{conn.pk}")).to_have_attribute("data-state", "not_connected")

    page.get_by_test_id(f"connection-connect-{conn.pk}").click()
    allow = page.get_by_test_id("consent-allow")  # the sandbox's consent page, as the tenant's admin
    expect(allow).to_be_visible()
    assert page.url.startswith(sandbox.url)
    page.screenshot(path=str(artifacts / f"connect-{system}-consent.png"))
    allow.click()

    expect(page).to_have_url(f"{live_server_url}/connections")
    expect(page.get_by_test_id(f"connection-last-test-{conn.pk}")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id(f"connection-auth-{conn.pk}")).to_have_attribute("data-state", "connected")
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.CONNECTED and conn.last_test_ok is True, conn.last_test_message
    if system == "salesforce":
        assert conn.base_url == f"{sandbox.url}/salesforce"  # the instance_url the token named
    if system == "netsuite":
        assert conn.credential_expires_at is not None  # NetSuite's refresh tokens lapse: the page warns
