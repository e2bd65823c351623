"""The README's tour in the browser: the demo loaded against a running sandbox, a person moves one of
Acme's opportunities to Closed Won on the sandbox's own page, and Acme's quote-to-project run arrives in
the product (the operator's run history); Globex's flows, in their own sandbox tenant, stay quiet."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import Page, expect

from flowbuilder.credentials import runtime
from flowbuilder.execution.models import Run
from flowbuilder.flows.models import Flow
from tests.integration.conftest import wait_for_first_polls
from tests.support.live_stack import wait_until

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API = "/salesforce/services/data/v60.0"
DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due polling triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def _open_opportunity(sandbox_url: str, name: str) -> str:
    """In Acme's org, over the API: an open New Business opportunity (what Acme's filter hands over)."""
    http = requests.Session()
    form = {"grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "acme-secret"}
    token = http.post(sandbox_url + "/salesforce/services/oauth2/token", data=form, timeout=30).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    account = http.post(
        f"{sandbox_url}{API}/sobjects/Account", json={"Name": f"{name} Ltd"}, timeout=30
    ).json()
    opp = {
        "Name": name,
        "AccountId": account["id"],
        "StageName": "Negotiation/Review",
        "CloseDate": "2026-03-01",
        "Type": "New Business",
        "Amount": 48000,
    }
    return http.post(f"{sandbox_url}{API}/sobjects/Opportunity", json=opp, timeout=30).json()["id"]


def _runs_for(flows, opp_id: str) -> list[Run]:
    return [
        r for r in Run.objects.filter(flow__in=flows).order_by("id") if opp_id in json.dumps(r.input_items)
    ]


def test_closed_won_on_the_sandbox_page_arrives_as_acmes_run(
    strict_page: Page,
    live_server_url: str,
    worker,
    start_beat,
    sandbox,
    settings,
    artifacts,
) -> None:
    runtime.clear_cache()
    settings.SANDBOX_URL = sandbox.url
    call_command("load_demo", stdout=io.StringIO())
    quote = Flow.objects.get(organisation__slug="acme-consulting", name__icontains="quote to project")
    globex = Flow.objects.filter(organisation__slug="globex-advisory")
    name = f"Tour {uuid.uuid4().hex[:6]} rollout"
    opp_id = _open_opportunity(sandbox.url, name)
    start_beat()
    wait_for_first_polls({"quote": quote})

    page = strict_page
    page.goto(f"{sandbox.url}/salesforce/_browse?object=Opportunity&tenant=acme&q={name}")
    expect(page.get_by_test_id("tenant-current")).to_contain_text("Acme Consulting")
    page.get_by_role("link", name="open").first.click()
    action = page.get_by_test_id("action-set_stage")
    expect(action).to_be_visible()
    action.get_by_label("Stage").select_option("Closed Won")
    action.get_by_role("button", name="Set stage").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"Opportunity {name} is now Closed Won")
    page.screenshot(path=str(artifacts / "sandbox-record.png"), full_page=True)

    run = wait_until(
        lambda: (found := _runs_for([quote], opp_id)) and found[0], 60, "Acme's run never arrived"
    )
    login_ui(page, live_server_url, "operator", DEMO_PASSWORD)
    page.goto(f"{live_server_url}/runs?flow={quote.pk}")
    row = page.get_by_test_id(f"run-row-{run.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(quote.name)
    page.screenshot(path=str(artifacts / "sandbox-tour-run.png"))
    assert _runs_for(globex, opp_id) == []  # Globex's flows poll Globex's own org
