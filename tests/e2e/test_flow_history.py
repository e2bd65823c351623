"""Issue 10's affordances in the browser: pinned data from the server, the visual diff of two versions and
restore as draft (uvicorn + Celery worker + PostgreSQL + Redis, Chromium at 1280x800)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.flows import actions as flow_actions
from tests.e2e import ARTIFACTS
from tests.support.documents import document, edge, node

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _doc(*extra: str, label: str = "Customer fields", x0: int = 0) -> dict:
    nodes = [
        node("t", "trigger.manual", position={"x": x0, "y": 100}),
        node(
            "m",
            "transform.map",
            {"fields": [{"name": "name", "value": "{{ $item.Name }}"}]},
            position={"x": x0 + 300, "y": 100},
        ),
    ]
    nodes[1]["label"] = label
    edges = [edge("t", "m")]
    for i, nid in enumerate(extra):
        nodes.append(node(nid, "transform.map", {"fields": []}, position={"x": x0 + 600, "y": 20 + i * 160}))
        edges.append(edge("m", nid))
    return document(nodes, edges)


def _flow_with_history(analyst: dict):
    user, org = analyst["user"], analyst["org"]
    flow = flow_actions.create_flow(actor=user, organisation=org, name="History", document=_doc("old"))
    flow_actions.publish_flow(actor=user, flow=flow, comment="first")
    flow.refresh_from_db()
    draft = _doc("new", label="Customer fields (v2)")
    draft["nodes"][1]["config"]["fields"][0]["value"] = "{{ $item.Name & ' Ltd' }}"
    flow_actions.save_draft(actor=user, flow=flow, document=draft, revision=flow.draft_revision)
    flow_actions.pin_node_data(actor=user, flow=flow, node_id="t", items=[{"Name": "Acme"}])
    flow.refresh_from_db()
    return flow


def test_version_diff_on_the_canvas_and_restore(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    page = strict_page
    flow = _flow_with_history(analyst)
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("editor")).to_be_visible()
    # The pin stored on the server marks its node, with no browser storage involved.
    expect(page.get_by_test_id("node-pinned-t")).to_be_visible()
    assert page.evaluate("Object.keys(window.localStorage).filter(k => k.includes('pinned'))") == []

    page.get_by_test_id("versions").click()
    page.get_by_test_id("version-compare-1").click()
    dialog = page.get_by_test_id("version-diff")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("vdiff-node-new")).to_have_attribute("data-kind", "added")
    expect(page.get_by_test_id("vdiff-node-old")).to_have_attribute("data-kind", "removed")
    expect(page.get_by_test_id("vdiff-node-m")).to_have_attribute("data-kind", "changed")
    expect(page.get_by_test_id("vdiff-node-t")).to_have_attribute("data-kind", "same")
    page.get_by_test_id("vdiff-node-m").click()
    changes = page.get_by_test_id("vdiff-list")
    expect(changes).to_contain_text("config.fields")
    expect(changes).to_contain_text("Ltd")
    expect(changes).not_to_contain_text("old")  # only the clicked node's changes
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "version-diff.png"))

    page.get_by_test_id("vdiff-restore").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("node-label-old")).to_be_visible()
    flow.refresh_from_db()
    assert [n["id"] for n in flow.draft_document["nodes"]] == ["t", "m", "old"]
    from flowbuilder.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="flow.restore_version", object_id=str(flow.pk)).count() == 1
