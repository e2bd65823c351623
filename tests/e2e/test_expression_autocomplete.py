"""The expression editor completes $item fields from pinned data, upstream nodes' outputs ($node.<id>…)
and JSONata functions with signature and help; an invalid expression is marked inline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.flows import actions as flow_actions
from tests.e2e import ARTIFACTS
from tests.support.documents import document, edge, node

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_autocomplete_offers_pinned_fields_upstream_outputs_and_functions(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    page = strict_page
    user = analyst["user"]
    doc = document(
        [
            node("won", "trigger.manual", position={"x": 0, "y": 100}),
            node(
                "acct",
                "transform.map",
                {"fields": [{"name": "name", "value": "{{ $item.Name }}"}]},
                position={"x": 300, "y": 100},
            ),
            node(
                "erp",
                "transform.map",
                {"fields": [{"name": "companyName", "value": ""}]},
                position={"x": 600, "y": 100},
            ),
        ],
        [edge("won", "acct"), edge("acct", "erp")],
    )
    flow = flow_actions.create_flow(
        actor=user, organisation=analyst["org"], name="Autocomplete", document=doc
    )
    flow_actions.pin_node_data(
        actor=user,
        flow=flow,
        node_id="won",
        items=[{"Name": "Acme", "Opportunity": {"Id": "006Ax01", "Amount": 2500}}],
    )
    flow_actions.pin_node_data(
        actor=user, flow=flow, node_id="acct", items=[{"name": "Acme", "region": "EMEA"}]
    )
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    page.get_by_test_id("node-label-erp").click()
    field = page.get_by_test_id("mapper-target-value-0-input")
    expect(field).to_be_visible()
    field.click()
    page.keyboard.insert_text("{{ ")
    page.keyboard.type("$")
    menu = page.locator(".cm-tooltip-autocomplete")
    expect(menu).to_be_visible()
    options = menu.locator("li")
    expect(options.first).to_contain_text("$item.name")  # the pinned sample of the node before
    expect(menu).to_contain_text("$item.region")
    expect(menu).to_contain_text("$node.won.items[0].Opportunity.Id")  # two nodes upstream, pinned
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "expression-autocomplete.png"))

    page.keyboard.type("subs")
    expect(options.first).to_contain_text("$substring")
    info = page.locator(".cm-completionInfo")
    expect(info).to_contain_text("$substring(str, start, length?)")
    expect(info).to_contain_text("zero-based")
    page.screenshot(path=str(ARTIFACTS / "expression-functions.png"))
    page.keyboard.press("Enter")
    page.keyboard.insert_text("$item.name, 0, 3) }}")
    expect(page.get_by_test_id("mapper-target-value-0-preview")).to_contain_text("Result: Acm")

    # An invalid expression: the error shows under the field and is underlined in it.
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("{{ $item.name + }}")
    expect(page.get_by_test_id("mapper-target-value-0-error")).to_be_visible()
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)
