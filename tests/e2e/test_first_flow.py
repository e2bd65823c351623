"""Issue 10's "first flow" journey, as a new user builds it: an empty flow, a webhook trigger, a map node
configured by drag and drop, an HTTP request node POSTing a JSON body to the sandbox's NetSuite through a
connection; save, run with an input, green, the sandbox holds the record; then publish and call the
webhook with ``?wait=1``."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.connections import sandbox_connection

from .conftest import login_ui
from .test_editor import (
    connect,
    create_flow_ui,
    deselect,
    drop_from_palette,
    edge_locator,
    fill_code,
    last_run_errors,
    save_now,
    select_node,
    server_draft,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMERS = "/netsuite/services/rest/record/v1/customer"


def sandbox_customers(sandbox: Any, name: str) -> list[dict]:
    """The sandbox NetSuite's customers named ``name`` (read with the system's own auth)."""
    response = requests.get(
        f"{sandbox.url}{CUSTOMERS}",
        params={"q": f'companyName IS "{name}"'},
        headers=sandbox.auth("netsuite"),
        timeout=10,
    )
    assert response.status_code == 200, response.text[:300]
    return response.json().get("items", [])


def test_first_flow_journey(
    strict_page: Page, live_server_url: str, make_org, make_user, worker, sandbox, artifacts
) -> None:
    page = strict_page
    org = make_org("First Flow Co")
    admin = make_user("fran", org, "admin")
    sandbox_connection(sandbox, actor=admin, organisation=org, system="netsuite", name="NetSuite sandbox")
    company = f"Journey {uuid.uuid4().hex[:8]}"
    sample = {"title": company, "amount": 1200}

    login_ui(page, live_server_url, "fran")
    flow_id = create_flow_ui(page, "My first flow")
    expect(page.get_by_test_id("canvas-empty")).to_be_visible()

    trigger = drop_from_palette(page, "trigger.webhook", 130, 150)
    deselect(page)
    mapper = drop_from_palette(page, "transform.map", 330, 300)
    deselect(page)
    http = drop_from_palette(page, "http.request", 330, 480)
    deselect(page)
    connect(page, trigger, "main", mapper)
    expect(edge_locator(page, trigger, mapper)).to_have_count(1)
    connect(page, mapper, "main", http)
    expect(edge_locator(page, mapper, http)).to_have_count(1)

    # The map node, by drag and drop from a pasted sample.
    select_node(page, mapper)
    page.get_by_test_id("inspector-tab-mapping").click()
    page.get_by_test_id("mapper-sample-paste").click()
    fill_code(page, "mapper-sample-json", json.dumps(sample))
    page.get_by_test_id("mapper-sample-save").click()
    expect(page.get_by_test_id("mapper-source-title")).to_be_visible()
    page.get_by_test_id("mapper-source-title").drag_to(page.get_by_test_id("mapper-new-target"))
    expect(page.get_by_test_id("mapper-target-name-0")).to_have_value("title")
    deselect(page)

    # The HTTP request node: POST, the connection, a JSON body typed as text with a template.
    select_node(page, http)
    page.locator("#cfg_method").select_option("POST")
    fill_code(page, "field-cfg_url", f"{sandbox.url}{CUSTOMERS}")
    # A literal URL previews as itself (defect 9), not as a syntax error.
    expect(page.get_by_test_id("field-cfg_url-preview")).to_contain_text(CUSTOMERS)
    connection = page.get_by_test_id("field-cfg_connection")
    expect(connection.locator("option", has_text="NetSuite sandbox")).to_have_count(1)
    option = connection.locator("option", has_text="NetSuite sandbox").get_attribute("value")
    connection.select_option(value=option)
    fill_code(page, "field-cfg_body", '{"companyName": "{{ $item.title }}", "subsidiary": {"id": "1"}}')
    save_now(page)
    node = next(n for n in server_draft(flow_id)["nodes"] if n["id"] == http)
    assert node["config"]["method"] == "POST" and node["config"]["connection"]
    deselect(page)

    # Run with an input: green, and the sandbox holds the record, sent as a JSON object (defect 1).
    page.get_by_test_id("run-button").click()
    fill_code(page, "run-input", json.dumps(sample))
    page.get_by_test_id("run-submit").click()
    try:
        for node_id in (trigger, mapper, http):
            expect(page.get_by_test_id(f"node-{node_id}")).to_have_attribute("data-status", "succeeded")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nnode runs: {last_run_errors(flow_id)}") from None
    expect(page.get_by_test_id("run-bar")).to_have_attribute("data-status", "succeeded")
    assert len(sandbox_customers(sandbox, company)) == 1
    page.screenshot(path=str(artifacts / "first-flow.png"))

    # Publish, then call the webhook and wait for the answer.
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-submit").click()
    expect(page.get_by_test_id("toast").filter(has_text="Published version 1")).to_be_visible()
    from flowbuilder.flows.models import Flow

    hook = Flow.objects.get(pk=flow_id)
    url = f"{live_server_url}/hooks/{hook.webhook_token}/?wait=1"
    second = f"{company} bis"
    answer = requests.post(url, json={"title": second, "amount": 5}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    assert len(sandbox_customers(sandbox, second)) == 1
