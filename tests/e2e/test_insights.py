"""Insights in the browser: a partner's dashboard across its customers (charts, backlog, SLA attainment,
one row per customer with health and trend), a customer's own dashboard, and the business trace of a deal
found from its CRM id and from its ERP invoice id, showing where it is stuck. Screenshots at 1280x800."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from flowbuilder.crossref import actions as crossref
from flowbuilder.devtools.ops_data import Mix, bulk_runs, sf_id
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.observability import dashboards, sla, trace
from flowbuilder.observability.insight_models import BusinessRecord, SlaPolicy
from flowbuilder.tenancy.models import OrganisationKind
from tests.support.documents import manual_document
from tests.support.flows import published_flow

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def published(admin: Any, org: Any, name: str, criticality: str = "normal") -> Any:
    return published_flow(admin, org, name, manual_document(), comment="v1", criticality=criticality)


@pytest.fixture
def partner_world(make_org, make_user) -> dict[str, Any]:
    partner = make_org("Northwind Partners", kind=OrganisationKind.PARTNER)
    make_user("nw-admin", partner, role="admin")
    alpha = make_org("Alpha Dental", parent=partner)
    beta = make_org("Beta Builders", parent=partner)
    make_user("alpha-ops", alpha, role="operator")
    rng = random.Random(7)
    a_admin = make_user("alpha-admin", alpha, role="admin")
    b_admin = make_user("beta-admin", beta, role="admin")
    orders = published(a_admin, alpha, "Quote to project", "critical")
    billing = published(a_admin, alpha, "Project to billing", "high")
    cash = published(b_admin, beta, "Billing to cash")
    bulk_runs(orders, 420, hours=24 * 7, mix=Mix(0.03, 0.01, 4), rng=rng)
    bulk_runs(billing, 160, hours=24 * 7, mix=Mix(0.08, 0.02, 40), rng=rng, deal_offset=1000)
    bulk_runs(cash, 240, hours=24 * 7, mix=Mix(0.22, 0.02, 2), rng=rng, deal_offset=5000)
    for flow in (orders, billing):
        SlaPolicy.objects.create(
            organisation=alpha,
            name=f"{flow.name} in 4 business hours",
            subject="flow_run",
            flow=flow,
            target=Decimal(4),
            unit="business_hours",
            criticality=flow.criticality,
        )
    for policy in SlaPolicy.objects.select_related("organisation"):
        sla.evaluate(policy)
    dashboards.rebuild_all()
    dashboards.rollup()
    return {"partner": partner, "alpha": alpha, "beta": beta}


def test_partner_dashboard_across_customers(
    strict_page: Page, live_server_url: str, partner_world, artifacts
) -> None:
    page = strict_page
    alpha, beta = partner_world["alpha"], partner_world["beta"]
    login_ui(page, live_server_url, "nw-admin")
    page.get_by_test_id("org-switcher").select_option(
        str(partner_world["partner"].pk)
    )  # the partner, not a customer
    page.get_by_test_id("nav-insights").click()
    expect(page.get_by_test_id("dashboard-page")).to_contain_text("All customers of Northwind Partners")
    expect(page.get_by_test_id("dashboard-page")).to_be_visible()
    expect(page.get_by_test_id("dashboard-totals")).to_be_visible()
    page.get_by_test_id("dashboard-range").select_option("7d")
    expect(page.get_by_test_id("tile-runs")).to_contain_text("820")
    for chart in ("chart-throughput", "chart-latency", "chart-failure-rate", "chart-p95"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id(f"customer-health-{alpha.pk}")).to_contain_text("Alpha Dental")
    expect(page.get_by_test_id(f"customer-health-chip-{beta.pk}")).to_have_text("failing")
    expect(page.get_by_test_id(f"customer-health-chip-{alpha.pk}")).to_have_text("degraded")  # a few failures
    expect(page.get_by_test_id("sla-row-critical")).to_contain_text("%")
    expect(page.get_by_test_id(f"group-row-{beta.pk}")).to_contain_text("Beta Builders")
    page.screenshot(path=str(artifacts / "insights-dashboard-partner.png"))
    page.screenshot(path=str(artifacts / "insights-dashboard-partner-full.png"), full_page=True)


def test_customer_dashboard_per_flow(
    strict_page: Page, live_server_url: str, partner_world, artifacts
) -> None:
    page = strict_page
    login_ui(page, live_server_url, "alpha-ops")
    page.goto(f"{live_server_url}/insights/dashboards")
    expect(page.get_by_test_id("tile-runs")).to_be_visible()
    expect(page.get_by_test_id("customer-health")).to_have_count(0)
    expect(page.get_by_test_id("dashboard-groups")).to_contain_text("Quote to project")
    expect(page.get_by_test_id("dashboard-groups")).not_to_contain_text("Billing to cash")
    expect(page.get_by_test_id("chart-backlog")).to_be_visible()
    page.screenshot(path=str(artifacts / "insights-dashboard-customer.png"))


DEAL = sf_id("006", 424242)
ACCOUNT = sf_id("001", 4242)


@pytest.fixture
def deal_world(make_org, make_user) -> dict[str, Any]:
    org = make_org("Acme Consulting")
    admin = make_user("acme-admin", org, role="admin")
    quote = published(admin, org, "Quote to project")
    cash = published(admin, org, "Billing to cash")
    now = timezone.now()

    def run(flow, items, status, error=None, ago=0):
        r = Run.objects.create(
            organisation=org,
            flow=flow,
            version_id=flow.published_version_id,
            status=status,
            input_items=items,
            error=error,
            finished_at=now - dt.timedelta(hours=ago),
            last_seq=1,
        )
        Run.objects.filter(pk=r.pk).update(created_at=now - dt.timedelta(hours=ago, minutes=2))
        r.refresh_from_db()
        trace.index_run(r)
        return r

    q = run(quote, [{"Id": DEAL, "AccountId": ACCOUNT, "Name": "Acme rollout"}], RunStatus.SUCCEEDED, ago=200)
    crossref.link(org, "customer", "salesforce", ACCOUNT, "netsuite", "311", run_id=q.pk)
    crossref.link(org, "project", "salesforce", DEAL, "netsuite", "801", run_id=q.pk)
    crossref.link(org, "project", "salesforce", DEAL, "kantata", "501", run_id=q.pk)
    rows = [
        BusinessRecord(
            organisation=org,
            role="crm",
            system="salesforce",
            entity="opportunity",
            external_id=DEAL,
            name="Acme rollout",
            parent_id=ACCOUNT,
            status="won",
            amount=Decimal("48000"),
            occurred_at=now - dt.timedelta(days=9),
            fetched_at=now,
        ),
        BusinessRecord(
            organisation=org,
            role="psa",
            system="kantata",
            entity="time_entry",
            external_id="7001",
            name="2026-03-02 Workshop",
            parent_id="501",
            status="invoiced",
            hours=Decimal(6),
            amount=Decimal("900"),
            occurred_at=now - dt.timedelta(days=6),
            fetched_at=now,
        ),
        BusinessRecord(
            organisation=org,
            role="erp",
            system="netsuite",
            entity="invoice",
            external_id="9001",
            name="INV-9001",
            parent_id="801",
            status="paid",
            amount=Decimal("900"),
            occurred_at=now - dt.timedelta(days=3),
            fetched_at=now,
        ),
    ]
    BusinessRecord.objects.bulk_create(rows)
    for r in rows:
        trace.index_records(org.pk, r.system, [r])
    c = run(
        cash,
        [{"id": "9001", "tranId": "INV-9001", "job": {"id": "801"}}],
        RunStatus.FAILED,
        error={"message": "Salesforce refused the value: Description is too long", "node_id": "crm"},
        ago=1,
    )
    return {"org": org, "cash_run": c}


def test_trace_a_deal_from_crm_and_erp_ids(
    strict_page: Page, live_server_url: str, deal_world, artifacts
) -> None:
    page = strict_page
    login_ui(page, live_server_url, "acme-admin")
    page.get_by_test_id("nav-insights").click()
    page.get_by_test_id("insights-tab-trace").click()
    expect(page.get_by_test_id("trace-page")).to_be_visible()
    page.get_by_test_id("trace-query").fill(DEAL)
    page.get_by_test_id("trace-search").click()
    stuck = page.get_by_test_id("trace-stuck")
    expect(stuck).to_contain_text(f"Run #{deal_world['cash_run'].pk} of Billing to cash failed at step crm")
    for stage in ("opportunity", "customer", "project", "time_entry", "invoice", "payment"):
        expect(page.get_by_test_id(f"trace-stage-{stage}")).to_have_attribute("data-reached", "true")
    expect(page.get_by_test_id("trace-record-netsuite-9001")).to_contain_text("INV-9001")
    expect(page.get_by_test_id("trace-record-kantata-501")).to_be_visible()
    expect(page.get_by_test_id(f"trace-run-{deal_world['cash_run'].pk}")).to_contain_text(
        "Description is too long"
    )
    page.screenshot(path=str(artifacts / "insights-trace-deal.png"))
    # The same deal from the ERP invoice's id, with the system chosen.
    page.get_by_test_id("trace-query").fill("9001")
    page.get_by_test_id("trace-system").select_option("netsuite")
    page.get_by_test_id("trace-search").click()
    expect(page).to_have_url(f"{live_server_url}/insights/trace?q=9001&system=netsuite")
    expect(page.get_by_test_id(f"trace-record-salesforce-{DEAL}")).to_contain_text("Acme rollout")
    page.get_by_test_id(f"trace-run-{deal_world['cash_run'].pk}").get_by_role("link").click()
    expect(page).to_have_url(f"{live_server_url}/runs/{deal_world['cash_run'].pk}")
    page.goto(f"{live_server_url}/insights/trace?q=nothing-like-this")
    expect(page.get_by_test_id("trace-not-found")).to_be_visible()
