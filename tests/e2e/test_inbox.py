"""The failure inbox in the browser: a partner's failures across its customers grouped by cause, the next
step of a group, regrouping by customer, and a bulk action on a selection with its progress (a real
worker runs the batch). Screenshots at 1280x800."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.devtools.ops_data import Mix, bulk_runs
from flowbuilder.execution.models import FailureRecord
from flowbuilder.tenancy.models import OrganisationKind
from tests.e2e import ARTIFACTS

from .conftest import login_ui
from .test_insights import published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failing_partner(make_org, make_user) -> dict[str, Any]:
    partner = make_org("Northwind Partners", kind=OrganisationKind.PARTNER)
    make_user("nw-ops", partner, role="admin")
    alpha = make_org("Alpha Dental", parent=partner)
    beta = make_org("Beta Builders", parent=partner)
    rng = random.Random(14)
    a_admin = make_user("alpha-admin", alpha, role="admin")
    b_admin = make_user("beta-admin", beta, role="admin")
    bulk_runs(
        published(a_admin, alpha, "Quote to project"),
        120,
        hours=48,
        mix=Mix(0.1, 0.0, 4),
        rng=rng,
        failed_items=6,
    )
    bulk_runs(
        published(b_admin, beta, "Billing to cash"),
        80,
        hours=48,
        mix=Mix(0.2, 0.0, 2),
        rng=rng,
        failed_items=4,
    )
    return {"partner": partner, "alpha": alpha, "beta": beta}


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name))


def test_partner_inbox_groups_and_bulk_resolve_with_progress(
    strict_page: Page, live_server_url: str, failing_partner, worker, artifacts
) -> None:
    page = strict_page
    total = FailureRecord.objects.count()
    assert total > 20
    login_ui(page, live_server_url, "nw-ops")
    page.get_by_test_id("org-switcher").select_option(str(failing_partner["partner"].pk))
    page.get_by_test_id("nav-inbox").click()
    expect(page.get_by_test_id("inbox-page")).to_contain_text(f"{total} open failures across all customers")
    groups = page.get_by_test_id("inbox-groups")
    expect(groups.locator("button")).not_to_have_count(0)
    expect(page.get_by_test_id("inbox-next-step")).to_contain_text("What to do next")
    expect(page.get_by_test_id("inbox-failures").locator("tbody tr")).not_to_have_count(0)
    shot(page, artifacts, "inbox-by-cause.png")

    page.get_by_test_id("inbox-by-customer").click()
    expect(groups).to_contain_text("Alpha Dental")
    expect(groups).to_contain_text("Beta Builders")

    page.get_by_test_id("inbox-by-category").click()
    rows = page.get_by_test_id("inbox-failures").locator("tbody tr")
    expect(rows.first).to_be_visible()
    first_ids = [rows.nth(i).get_attribute("data-testid").removeprefix("failure-") for i in range(2)]
    for fid in first_ids:
        page.get_by_test_id(f"failure-select-{fid}").check()
    page.get_by_test_id("inbox-bulk-action").select_option("resolve")
    page.get_by_test_id("inbox-bulk-selected").click()
    expect(page.get_by_test_id("inbox-batch-summary")).to_contain_text(
        "2 of 2 handled: 2 done", timeout=30_000
    )
    expect(page.get_by_test_id("inbox-page")).to_contain_text(f"{total - 2} open failures")
    assert set(
        FailureRecord.objects.filter(pk__in=[int(i) for i in first_ids]).values_list("state", flat=True)
    ) == {"resolved"}
    shot(page, artifacts, "inbox-after-bulk.png")


def test_alert_rules_and_incidents_page(
    strict_page: Page, live_server_url: str, failing_partner, artifacts
) -> None:
    from flowbuilder.observability.alert_models import AlertRule, Incident

    partner, beta = failing_partner["partner"], failing_partner["beta"]
    rule = AlertRule.objects.create(
        organisation=partner,
        name="Critical runs failed",
        kind="run_failed",
        channels=[{"kind": "slack", "target": "https://hooks.slack.example/T1/B2"}],
        escalation_channels=[{"kind": "email", "target": "oncall@northwind.test"}],
        escalate_after_minutes=30,
    )
    incident = Incident.objects.create(
        rule=rule, organisation=beta, key="flow:1", title="Runs of “Billing to cash” failed"
    )
    page = strict_page
    login_ui(page, live_server_url, "nw-ops")
    page.get_by_test_id("org-switcher").select_option(str(partner.pk))
    page.get_by_test_id("nav-inbox").click()
    page.get_by_test_id("inbox-alerts-link").click()
    expect(page.get_by_test_id(f"alert-rule-{rule.pk}")).to_contain_text("after 30 min")
    expect(page.get_by_test_id(f"incident-{incident.pk}")).to_contain_text("Beta Builders")
    page.get_by_test_id(f"incident-{incident.pk}").get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id(f"incident-{incident.pk}")).to_contain_text("acknowledged")
    page.get_by_test_id("alert-new").click()
    expect(page.get_by_test_id("alert-rule-form")).to_be_visible()
    shot(page, artifacts, "alerts.png")


def test_fix_the_draft_mapping_revalidate_shows_pass_then_replay_passing_succeeds(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, endpoint, artifacts
) -> None:
    """A run fails because its mapping sends text where the ERP (a local endpoint) wants a number; the
    builder fixes the draft's mapping; in the inbox, Revalidate shows it would pass with the new input (and
    calls nothing outside); Replay passing replays it on the fixed draft and the ERP accepts it."""
    import copy

    from flowbuilder.execution import actions as run_actions
    from flowbuilder.execution.models import Run, RunStatus
    from flowbuilder.flows import actions as flow_actions
    from tests.support.documents import document, edge, node
    from tests.support.live_stack import wait_until

    def erp(n: int, body: Any) -> tuple[int, dict, Any]:
        if isinstance((body or {}).get("amount"), int | float):
            return 200, {}, {"id": f"INV-{n}"}
        return 400, {}, {"error": "amount must be a number"}

    endpoint.route("/invoice", erp)
    org = make_org("Gamma Consulting")
    admin = make_user("gamma-ops", org, role="admin")
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "map", "transform.map", {"fields": [{"name": "amount", "value": "{{ $item.amount_text }}"}]}
            ),
            node(
                "send",
                "http.request",
                {
                    "method": "POST",
                    "url": endpoint.url + "/invoice",
                    "body": {"amount": "{{ $item.amount }}"},
                },
                label="Create invoice",
            ),
        ],
        [edge("t", "map"), edge("map", "send")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="Invoices", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    run = run_actions.start_run(
        actor=admin, flow=flow, input_items=[{"id": 7, "amount_text": "12,50", "amount_cents": 1250}]
    )
    wait_until(lambda: Run.objects.get(pk=run.pk).status == RunStatus.FAILED, 60, "the run to fail")
    failure = wait_until(lambda: FailureRecord.objects.filter(run=run).first(), 30, "its failure record")
    assert endpoint.calls["/invoice"] == 1
    # The builder fixes the draft's mapping (not published).
    fixed = copy.deepcopy(flow.draft_document)
    fixed["nodes"][1]["config"]["fields"][0]["value"] = "{{ $item.amount_cents / 100 }}"
    flow_actions.save_draft(actor=admin, flow=flow, document=fixed, revision=flow.draft_revision)

    page = strict_page
    login_ui(page, live_server_url, "gamma-ops")
    page.get_by_test_id("nav-inbox").click()
    expect(page.get_by_test_id(f"failure-{failure.pk}")).to_be_visible()
    page.get_by_test_id(f"failure-revalidate-{failure.pk}").click()
    results = page.get_by_test_id("inbox-revalidation")
    expect(page.get_by_test_id("inbox-revalidation-summary")).to_contain_text(
        "On the current draft: 1 would pass, 0 still fail", timeout=30_000
    )
    expect(page.get_by_test_id(f"revalidation-{failure.pk}")).to_contain_text("Would pass")
    diff = page.get_by_test_id(f"revalidation-diff-{failure.pk}")
    expect(diff).to_contain_text("amount")
    expect(diff).to_contain_text('"12,50"')
    expect(diff).to_contain_text("12.5")
    page.screenshot(path=str(ARTIFACTS / "inbox-revalidate.png"))
    shot(page, artifacts, "inbox-revalidate.png")
    assert endpoint.calls["/invoice"] == 1, "revalidating called the outside system"
    assert Run.objects.count() == 1

    results.get_by_test_id("inbox-replay-passing").click()
    expect(page.get_by_test_id("inbox-batch-summary")).to_contain_text(
        "1 of 1 handled: 1 done, 1 new run", timeout=30_000
    )
    replay = wait_until(lambda: Run.objects.filter(replay_of=run).first(), 30, "the replay run")
    wait_until(
        lambda: Run.objects.get(pk=replay.pk).status == RunStatus.SUCCEEDED, 60, "the replay to succeed"
    )
    assert endpoint.bodies["/invoice"][-1] == {"amount": 12.5}
    failure.refresh_from_db()
    assert (failure.state, failure.follow_up_run_id) == ("resolved", replay.pk)
    expect(page.get_by_test_id("inbox-page")).to_contain_text("0 open failures")
    shot(page, artifacts, "inbox-replayed.png")
