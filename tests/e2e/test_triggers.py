"""Triggers page in the browser: an operator sees the organisation's schedule and polling triggers with their
health (a failing one says why and what to do), pauses one and resumes it; a builder may look, not act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from flowbuilder.credentials.models import Connection
from flowbuilder.execution.models import Run
from flowbuilder.flows.models import Flow
from flowbuilder.triggers.models import PollingState
from tests.support.documents import document, edge, node
from tests.support.flows import published_flow

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KANTATA_ERROR = "Kantata answered 401: token expired."


def connection(org: Any, connector: str, name: str) -> Connection:
    return Connection.objects.create(
        organisation=org,
        name=name,
        connector=connector,
        base_url=f"https://{connector}.example.test",
        credential_type="bearer",  # offered by Kantata and Salesforce alike
        credentials={},
    )


def published(admin: Any, org: Any, name: str, trigger: dict[str, Any]) -> Flow:
    """A published flow: ``trigger`` then a map node (publishing creates the trigger's PollingState)."""
    doc = document(
        [trigger, node("tag", "transform.map", {"fields": [{"name": "seen", "value": True}]})],
        [edge(trigger["id"], "tag")],
    )
    return published_flow(admin, org, name, doc, comment="Go live")


@pytest.fixture
def trigger_world(analyst: dict[str, Any], make_user) -> dict[str, Any]:
    """In the analyst's organisation: a waiting schedule, a failing Kantata poll and a healthy Salesforce
    poll; an operator to steer them (the analyst is a builder, who may not)."""
    org = analyst["org"]
    admin = make_user("ada-admin", org, role="admin")
    make_user("otto", org, role="operator")
    now = timezone.now()

    billing = published(
        admin,
        org,
        "Monthly billing",
        {
            "id": "tick",
            "type": "trigger.schedule",
            "label": "Nightly billing",
            "position": {"x": 0, "y": 0},
            "config": {"mode": "interval", "interval_s": 3600},
        },
    )
    kantata = connection(org, "kantata", "Kantata prod")
    entries = published(
        admin,
        org,
        "Time entries to NetSuite",
        {
            **node(
                "poll",
                "psa.kantata.record_updated",
                {"connection": kantata.ref, "collection": "time_entries"},
            ),
            "label": "New time entries",
        },
    )
    salesforce = connection(org, "salesforce", "Salesforce prod")
    deals = published(
        admin,
        org,
        "Won deals to Kantata",
        {
            **node(
                "won",
                "crm.salesforce.record_updated",
                {"connection": salesforce.ref, "sobject": "Opportunity"},
            ),
            "label": "Won opportunities",
        },
    )
    # No beat runs in this test: the rows keep the states given here.
    PollingState.objects.filter(flow=entries).update(
        consecutive_failures=3,
        last_error=KANTATA_ERROR,
        last_polled_at=now - timedelta(minutes=2),
        next_poll_at=now + timedelta(minutes=8),
        runs_started=41,
    )
    last = Run.objects.create(
        organisation=org,
        flow=deals,
        version=deals.published_version,
        status="succeeded",
        origin="schedule",
        started_at=now - timedelta(minutes=3),
        finished_at=now - timedelta(minutes=3) + timedelta(seconds=2),
    )
    PollingState.objects.filter(flow=deals).update(
        last_polled_at=now - timedelta(seconds=50),
        last_success_at=now - timedelta(seconds=50),
        next_poll_at=now + timedelta(minutes=4),
        runs_started=12,
        last_run_id=last.pk,
    )
    return {
        "org": org,
        "billing": PollingState.objects.get(flow=billing),
        "failing": PollingState.objects.get(flow=entries),
        "healthy": PollingState.objects.get(flow=deals),
    }


def test_operator_watches_pauses_and_resumes_triggers(
    strict_page: Page, live_server_url: str, analyst: dict[str, Any], trigger_world: dict[str, Any], artifacts
) -> None:
    page = strict_page
    billing, failing, healthy = trigger_world["billing"], trigger_world["failing"], trigger_world["healthy"]
    login_ui(page, live_server_url, "otto")

    page.get_by_test_id("nav-triggers").click()
    expect(page).to_have_url(f"{live_server_url}/triggers")
    expect(page.get_by_test_id("triggers-table")).to_be_visible()
    expect(page.get_by_test_id("triggers-summary")).to_have_text("3 triggers · 1 failing")

    row = page.get_by_test_id(f"trigger-row-{billing.pk}")
    expect(row).to_contain_text("Nightly billing")
    expect(row).to_contain_text("Monthly billing")
    expect(row).to_contain_text("Schedule")
    chip = page.get_by_test_id(f"trigger-health-{billing.pk}")
    expect(chip).to_have_attribute("data-health", "waiting")
    expect(row.get_by_role("link", name="Monthly billing")).to_have_attribute(
        "href", f"/flows/{billing.flow_id}"
    )

    # The failing trigger says what went wrong, how often, and what to do.
    expect(page.get_by_test_id(f"trigger-health-{failing.pk}")).to_have_attribute("data-health", "failing")
    error = page.get_by_test_id(f"trigger-error-{failing.pk}")
    expect(error).to_be_visible()
    expect(error).to_contain_text(KANTATA_ERROR)
    expect(error).to_contain_text("3 failures in a row")
    expect(error).to_contain_text("then Poll now")
    expect(page.get_by_test_id(f"trigger-row-{failing.pk}")).to_contain_text("Polling every")

    expect(page.get_by_test_id(f"trigger-health-{healthy.pk}")).to_have_attribute("data-health", "healthy")
    expect(page.get_by_test_id(f"trigger-last-run-{healthy.pk}")).to_have_attribute(
        "href", f"/runs/{healthy.last_run_id}"
    )

    # Pause: the chip turns paused, the next poll reads "paused", and the row is paused in the database.
    expect(page.get_by_test_id(f"trigger-poll-{billing.pk}")).to_be_enabled()
    page.get_by_test_id(f"trigger-pause-{billing.pk}").click()
    expect(chip).to_have_attribute("data-health", "paused")
    expect(page.get_by_test_id(f"trigger-next-poll-{billing.pk}")).to_have_text("paused")
    expect(page.get_by_test_id(f"trigger-poll-{billing.pk}")).to_have_count(0)
    expect(page.get_by_test_id("toast").filter(has_text="Paused “Nightly billing”")).to_be_visible()
    billing.refresh_from_db()
    assert billing.paused_at is not None and billing.paused_by.username == "otto"
    expect(page.get_by_test_id("triggers-summary")).to_have_text("3 triggers · 1 failing · 1 paused")

    # The health filter narrows the table to the paused trigger and back.
    page.get_by_test_id("triggers-filter-paused").click()
    expect(page.get_by_test_id(f"trigger-row-{billing.pk}")).to_be_visible()
    expect(page.get_by_test_id(f"trigger-row-{failing.pk}")).to_have_count(0)
    page.get_by_test_id("triggers-filter-all").click()
    expect(page.get_by_test_id(f"trigger-row-{failing.pk}")).to_be_visible()

    # Resume: no longer paused (it polls at once and catches up).
    page.get_by_test_id(f"trigger-resume-{billing.pk}").click()
    expect(chip).not_to_have_attribute("data-health", "paused")
    expect(page.get_by_test_id(f"trigger-pause-{billing.pk}")).to_be_visible()
    billing.refresh_from_db()
    assert billing.paused_at is None
    expect(page.get_by_test_id("toast").filter(has_text="Resumed “Nightly billing”")).to_be_visible()
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / "triggers.png"))

    # The analyst's other organisation has no such triggers: the empty state says how to get one.
    page.context.clear_cookies()
    login_ui(page, live_server_url, analyst["username"])
    page.get_by_test_id("org-switcher").select_option(str(analyst["other"].pk))
    page.get_by_test_id("nav-triggers").click()
    empty = page.get_by_test_id("triggers-empty")
    expect(empty).to_contain_text("No polling or schedule triggers yet")
    expect(empty).to_contain_text("Webhook and manual triggers")
    expect(empty.get_by_role("link", name="Go to flows")).to_have_attribute("href", "/")
    page.screenshot(path=str(artifacts / "triggers-empty.png"))

    # A builder sees the same table, with the levers disabled and a reason.
    page.get_by_test_id("org-switcher").select_option(str(trigger_world["org"].pk))
    pause = page.get_by_test_id(f"trigger-pause-{billing.pk}")
    expect(pause).to_be_disabled()
    expect(pause).to_have_attribute(
        "title",
        "Your role (builder) may see triggers but not pause, resume or poll them. Ask an admin or operator.",
    )
    expect(page.get_by_test_id("triggers-readonly")).to_be_visible()
