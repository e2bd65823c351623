"""Match reviews in the browser, on real parts (the sandbox's NetSuite over HTTP, a Celery worker): a
Salesforce account "<Word>, Inc." held because NetSuite has "<Word> Inc" shows side by side with that
customer (the name the same, the website missing on one side); a person links it and asks for a replay;
the replayed run updates the existing customer and creates no second one. Screenshot at 1280x800."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.crossref import actions as crossref
from flowbuilder.crossref.models import MatchReview
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run
from tests.integration.conftest import node_errors, wait_for_run_row
from tests.integration.test_customer_match import held_customer_setup
from tests.support.live_stack import wait_until
from tests.support.sandbox import Sandbox, running_sandbox

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


def test_a_person_links_a_held_customer_and_the_replay_creates_no_duplicate(
    strict_page: Page, live_server_url: str, sandbox, make_org, make_user, worker, artifacts
) -> None:
    held = held_customer_setup(sandbox, make_org, make_user, "mona")
    run = run_actions.start_run(actor=held.operator, flow=held.flow, input_items=[held.account])
    run = wait_for_run_row(run, timeout=90)
    assert run.status == "succeeded", node_errors(run)
    review = MatchReview.objects.get(organisation=held.org)

    page = strict_page
    login_ui(page, live_server_url, "mona")
    page.get_by_test_id("nav-matches").click()
    card = page.get_by_test_id(f"match-review-{review.pk}")
    expect(card).to_contain_text(f"Salesforce customer “{held.account['Name']}”")
    grid = page.get_by_test_id(f"match-grid-{review.pk}")
    expect(page.get_by_test_id(f"match-candidate-{review.pk}-{held.existing_id}")).to_contain_text("near")
    name_cell = grid.locator("tbody tr").first.locator("td").nth(1)
    expect(name_cell).to_have_text(f"{held.account['Name'].split(',')[0]} Inc")
    expect(name_cell).to_have_class("mr-cmp mr-same")
    expect(grid).to_contain_text("same name")
    page.screenshot(path=str(artifacts / "match-review.png"))

    expect(page.get_by_test_id(f"match-replay-{review.pk}")).to_be_checked()
    page.get_by_test_id(f"match-link-{review.pk}-{held.existing_id}").click()
    expect(page.get_by_text("Replaying as run #")).to_be_visible()
    expect(page.get_by_test_id(f"match-review-{review.pk}")).to_have_attribute("data-status", "linked")

    wait_until(lambda: Run.objects.filter(replay_of=run).exists(), 30, "the replay to start")
    replay = wait_for_run_row(Run.objects.get(replay_of=run), timeout=90)
    assert replay.status == "succeeded", node_errors(replay)
    assert (
        crossref.counterpart(held.org, "customer", "salesforce", held.account["Id"], "netsuite")
        == held.existing_id
    )
    assert [str(r["id"]) for r in held.customers()] == [held.existing_id]  # no second customer

    # Decided, it is listed under Decided and no longer waits (the linked card stays in place until the
    # list is read again: switching views reads it, not only the 15 s refresh).
    page.get_by_test_id("match-view-decided").click()
    expect(page.get_by_test_id(f"match-review-{review.pk}")).to_have_attribute("data-status", "linked")
    page.get_by_test_id("match-view-pending").click()
    expect(page.get_by_test_id("match-reviews-empty")).to_be_visible()
