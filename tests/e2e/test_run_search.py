"""The runs page finds a run by a business key from its input, with the trigger and time filters."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import RunOrigin
from flowbuilder.flows import actions as flow_actions
from tests.e2e import ARTIFACTS
from tests.support.documents import manual_document

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_runs_page_finds_a_run_by_business_key(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    page = strict_page
    user, org = analyst["user"], analyst["org"]
    flow = flow_actions.create_flow(
        actor=user, organisation=org, name="Closed won", document=manual_document()
    )
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    wanted = run_actions.start_run(
        actor=user, flow=flow, input_items=[{"Opportunity": {"Id": "006Ax01"}}], origin=RunOrigin.WEBHOOK
    )
    other = run_actions.start_run(actor=user, flow=flow, input_items=[{"Opportunity": {"Id": "006Bx99"}}])
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/runs")
    expect(page.get_by_test_id(f"run-row-{other.pk}")).to_be_visible()
    page.get_by_test_id("runs-key-filter").fill("006Ax01")
    page.get_by_test_id("runs-key-filter").press("Enter")
    expect(page.get_by_test_id(f"run-row-{wanted.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"run-row-{other.pk}")).to_have_count(0)
    assert "key=006Ax01" in page.url  # the filter is in the address: bookmarkable
    page.get_by_test_id("runs-origin-filter").select_option("schedule")
    expect(page.get_by_text("No runs match")).to_be_visible()
    page.get_by_test_id("runs-origin-filter").select_option("webhook")
    expect(page.get_by_test_id(f"run-row-{wanted.pk}")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "runs-business-key.png"))
