"""Settings, Users in the browser: an admin unlocks a locked-out colleague, invites someone, changes a
role and deactivates a member; and shares one flow with a viewer from the flow list."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from flowbuilder.flows import actions as flow_actions
from flowbuilder.tenancy.models import Membership
from tests.support.documents import chain
from tests.support.live_stack import ApiSession
from tests.support.tenancy import PASSWORD

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wrong_logins(base_url: str, username: str, times: int) -> list[int]:
    session = ApiSession(base_url)
    session.get("/login/")
    return [
        session.post("/api/auth/login/", json={"username": username, "password": f"wrong-{i}"}).status_code
        for i in range(times)
    ]


def test_admin_unlocks_invites_changes_a_role_and_deactivates(
    strict_page: Page, live_server_url: str, make_org, make_user, artifacts
) -> None:
    page = strict_page
    org = make_org("Acme Advisory")
    make_user("ada", org, "admin")
    bob = make_user("bob", org, "builder")
    make_user("cleo", org, "operator")
    statuses = wrong_logins(live_server_url, "bob", 10)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}

    login_ui(page, live_server_url, "ada")  # bob's failures locked bob, not the address they came from
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("users-table")).to_be_visible()
    expect(page.get_by_test_id("user-status-bob")).to_contain_text("Locked until")
    page.screenshot(path=str(artifacts / "users-locked.png"))
    page.get_by_test_id("user-unlock-bob").click()
    expect(page.get_by_test_id("user-status-bob")).to_have_text("Active")
    assert ApiSession(live_server_url).login("bob", PASSWORD)["username"] == "bob"

    page.get_by_test_id("invite-user").click()
    page.get_by_test_id("invite-email").fill("new.hire@acme.example")
    page.get_by_test_id("invite-role").select_option("approver")
    page.get_by_test_id("invite-submit").click()
    expect(page.get_by_test_id("user-status-new.hire@acme.example")).to_have_text("Invited")
    expect(page.get_by_test_id("user-role-new.hire@acme.example")).to_have_value("approver")

    page.get_by_test_id("user-role-cleo").select_option("viewer")
    expect(page.get_by_test_id("user-role-cleo")).to_have_value("viewer")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"user-role-cleo\"]').disabled")
    assert Membership.objects.get(user__username="cleo").role == "viewer"

    page.get_by_test_id("user-deactivate-bob").click()
    expect(page.get_by_test_id("user-status-bob")).to_have_text("Deactivated")
    expect(page.get_by_test_id("user-reactivate-bob")).to_be_visible()
    bob.refresh_from_db()
    assert bob.is_active is False
    refused = requests.post(
        f"{live_server_url}/api/auth/login/", json={"username": "bob", "password": PASSWORD}, timeout=10
    )
    assert refused.status_code in (400, 403)
    expect(page.get_by_test_id("user-deactivate-ada")).to_have_count(0)  # nobody deactivates themselves
    page.screenshot(path=str(artifacts / "users-page.png"))


def test_admin_shares_one_flow_with_a_viewer(
    strict_page: Page, live_server_url: str, make_org, make_user
) -> None:
    page = strict_page
    org = make_org("Acme Advisory")
    admin = make_user("ada", org, "admin")
    make_user("vic", org, "viewer")
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name="Invoices", document=chain(1, "trigger.manual")
    )
    vic = ApiSession(live_server_url)
    vic.login("vic")
    assert vic.patch(f"/api/flows/{flow.pk}/", json={"name": "Mine"}).status_code == 403

    login_ui(page, live_server_url, "ada")
    page.get_by_test_id(f"flow-share-{flow.pk}").click()
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog.get_by_test_id("share-person-vic")).to_contain_text("view")
    dialog.get_by_test_id("share-user").select_option(label="vic (vic)")
    dialog.get_by_test_id("share-perm-change").check()
    dialog.get_by_test_id("share-submit").click()
    expect(dialog.get_by_test_id("share-vic")).to_contain_text("view, change")
    expect(dialog.get_by_test_id("share-person-vic")).to_contain_text("shared with them")
    assert vic.patch(f"/api/flows/{flow.pk}/", json={"name": "Invoices (vic)"}).status_code == 200

    dialog.get_by_test_id("unshare-vic").click()
    expect(dialog.get_by_test_id("share-vic")).to_have_count(0)
    assert vic.patch(f"/api/flows/{flow.pk}/", json={"name": "Nope"}).status_code == 403
