"""The webhook trigger's Business Central options in the editor: the inspector offers the validation
handshake and the client state, and the saved configuration is what the ingress reads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import ARTIFACTS

from .conftest import api_session, login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_webhook_trigger_offers_the_business_central_handshake(
    strict_page: Page, live_server_url: str, analyst: dict, artifacts
) -> None:
    from flowbuilder.flows.actions import EXPORT_FORMAT
    from tests.support.documents import document, edge, node

    config = {"validation_handshake": True, "client_state": "cs-e2e"}
    doc = document(
        [
            {**node("hook", "trigger.webhook", config), "position": {"x": 0, "y": 0}},
            {**node("m", "transform.map", {"fields": []}), "position": {"x": 320, "y": 0}},
        ],
        [edge("hook", "m")],
    )
    session = api_session(live_server_url, analyst["username"])
    response = session.post(
        "/api/flows/import/",
        json={
            "organisation": analyst["org"].pk,
            "data": {"format": EXPORT_FORMAT, "name": "BC changes", "document": doc},
        },
    )
    assert response.status_code == 201, response.text
    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{response.json()['id']}")
    expect(page.get_by_test_id("editor")).to_be_visible()
    page.get_by_test_id("node-label-hook").click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_be_visible()
    expect(inspector).to_contain_text("Validation handshake (Business Central subscriptions)")
    expect(inspector).to_contain_text("Client state")
    inspector.get_by_text("Client state", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "bc-webhook-trigger.png"))
    page.screenshot(path=str(ARTIFACTS / "bc-webhook-trigger.png"))
