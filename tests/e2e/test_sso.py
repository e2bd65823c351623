"""Single sign-on in the browser, through a local OpenID provider (tests/support/oidc_provider.py).

The person finds their organisation's sign-in by e-mail domain (or by the page's host), signs in at
the provider's own page and comes back signed in, created just in time with the role their groups map
to. With "SSO only" the same organisation's password users are told to use single sign-on.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.audit.models import AuditEvent
from flowbuilder.identity import actions as identity
from flowbuilder.tenancy.models import Membership, OrganisationKind
from tests.support.oidc_provider import OidcProvider
from tests.support.tenancy import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme_sso(make_org, make_user, oidc_provider: OidcProvider):
    partner = make_org("Northwind Partners", kind=OrganisationKind.PARTNER, allow_local=False)
    acme = make_org("Acme Advisory", parent=partner, allow_local=False)
    # The web server reaches the provider through the organisation's allow-list: that port only.
    acme.egress_allowlist = [f"127.0.0.1:{oidc_provider.port}"]
    acme.save()
    partner_admin = make_user("nw-admin", partner, "admin")
    oidc_provider.add_client("flowbuilder-acme", "client-secret-for-acme")
    identity.set_sso(
        actor=partner_admin,
        organisation=acme,
        issuer=oidc_provider.url,
        client_id="flowbuilder-acme",
        client_secret="client-secret-for-acme",
        role_claim="groups",
        role_mapping={"integration-builders": "builder"},
        default_role="viewer",
        email_domains=["acme.example"],
    )
    oidc_provider.add_person(
        "dana@acme.example",
        "idp-password",
        given_name="Dana",
        family_name="Reyes",
        groups=["integration-builders"],
    )
    return {"acme": acme, "partner_admin": partner_admin}


def test_sign_in_through_the_organisations_provider(
    strict_page: Page, live_server_url: str, acme_sso, oidc_provider: OidcProvider, artifacts
) -> None:
    page = strict_page
    page.goto(f"{live_server_url}/runs")  # signed out: the sign-in page, remembering where to go
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.fill("#id_sso_email", "dana@acme.example")
    page.get_by_test_id("sso-discover-submit").click()
    button = page.get_by_test_id("sso-button")
    expect(button).to_have_text("Sign in with Acme Advisory")
    page.screenshot(path=str(artifacts / "sso-login-button.png"))
    button.click()

    # The provider's own page, on its own origin.
    expect(page.locator("#idp-email")).to_be_visible()
    assert page.url.startswith(oidc_provider.url + "/authorize?")
    page.fill("#idp-email", "dana@acme.example")
    page.fill("#idp-password", "idp-password")
    page.click("#idp-submit")

    expect(page.get_by_test_id("nav-runs")).to_have_class("active")  # back where they were going
    assert page.url == f"{live_server_url}/runs"
    expect(page.locator("header.topbar .user")).to_have_text("Dana Reyes")
    expect(page.get_by_test_id("org-switcher")).to_contain_text("Acme Advisory · builder")
    membership = Membership.objects.get(user__email="dana@acme.example")
    assert (membership.organisation_id, membership.role) == (acme_sso["acme"].id, "builder")
    assert AuditEvent.objects.filter(action="auth.login", actor=membership.user).count() == 1
    assert ("POST", "/token") in oidc_provider.requests  # the code was exchanged server to server

    # Signing out and in again reuses the account.
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.fill("#id_sso_email", "dana@acme.example")
    page.get_by_test_id("sso-discover-submit").click()
    page.get_by_test_id("sso-button").click()
    page.fill("#idp-email", "dana@acme.example")
    page.fill("#idp-password", "idp-password")
    page.click("#idp-submit")
    expect(page.get_by_test_id("flow-list")).to_be_visible()
    assert Membership.objects.filter(user__email="dana@acme.example").count() == 1


def test_a_refused_sign_in_and_sso_only_say_why(
    strict_page: Page, live_server_url: str, acme_sso, make_user, oidc_provider: OidcProvider
) -> None:
    page = strict_page
    oidc_provider.add_person("mallory@elsewhere.example", "pw")
    page.goto(f"{live_server_url}/sso/acme-advisory-2/")
    page.fill("#idp-email", "mallory@elsewhere.example")
    page.fill("#idp-password", "pw")
    page.click("#idp-submit")
    expect(page.get_by_test_id("sso-error")).to_contain_text("does not sign in people of elsewhere.example")

    make_user("hal", acme_sso["acme"], "builder")
    identity.set_sso(actor=acme_sso["partner_admin"], organisation=acme_sso["acme"], sso_only=True)
    page.goto(f"{live_server_url}/login/")
    page.fill("#id_username", "hal")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-refused")).to_contain_text(
        "Acme Advisory signs in with single sign-on only"
    )
