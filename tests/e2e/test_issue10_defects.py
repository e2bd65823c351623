"""Issue 10's defects in the browser: large flows readable, run detail on the failed node, retry goes
to the new run, role-aware editor, looking changes nothing, leaving the editor keeps the edit, literal
previews, and the layout bugs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow, FlowVersion, VersionState
from flowbuilder.planning import build_plan

from .conftest import ROOT, login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots/ffdefects")
TEMPLATES = ROOT / "fixtures" / "templates"


def largest_lifecycle_template() -> dict[str, Any]:
    docs = [json.loads(p.read_text()) for p in sorted(TEMPLATES.glob("*.json"))]
    return max(docs, key=lambda t: len(t["document"]["nodes"]))


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def viewport_zoom(page: Page) -> float:
    canvas = page.get_by_test_id("canvas")
    expect(canvas).to_have_attribute("data-viewport", "ready")
    return float(canvas.get_attribute("data-zoom") or 0)


def in_view(page: Page, node_id: str) -> bool:
    box = page.get_by_test_id(f"node-{node_id}").bounding_box()
    canvas = page.get_by_test_id("canvas").bounding_box()
    assert box and canvas
    return (
        box["x"] >= canvas["x"]
        and box["y"] >= canvas["y"]
        and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
        and box["y"] + box["height"] <= canvas["y"] + canvas["height"]
    )


@pytest.fixture
def template_flow(make_org, make_user) -> dict[str, Any]:
    org = make_org("Acme Services")
    builder = make_user("bianca", org, "builder")
    for role in ("viewer", "approver", "operator"):
        make_user(f"{role}1", org, role)
    template = largest_lifecycle_template()
    flow = flow_actions.create_flow(
        actor=builder, organisation=org, name=template["name"], document=template["document"]
    )
    return {"org": org, "builder": builder, "flow": flow, "document": template["document"]}


def failed_run(flow: Flow, builder: Any, document: dict[str, Any]) -> tuple[Run, str]:
    """A run of the flow that failed at a node far down the flow (as the engine would leave it)."""
    version = FlowVersion.objects.create(
        flow=flow,
        organisation_id=flow.organisation_id,
        number=0,
        state=VersionState.SNAPSHOT,
        document=document,
        plan=build_plan(document).to_dict(),
        created_by=builder,
    )
    run = run_actions.start_run(actor=builder, flow=flow, version=version, input_items=[{"id": "a1"}])
    order = build_plan(document).order
    failed = order[len(order) * 2 // 3]
    for node_id in order[: order.index(failed)]:
        NodeRun.objects.create(
            run=run, node_id=node_id, status=NodeStatus.SUCCEEDED, output_items={"main": [{"id": "a1"}]}
        )
    message = (
        "POST https://erp.example/api/invoices answered HTTP 400: " + "The field customer is required. " * 12
    )
    error = {"message": message, "hint": "Fix what the target names.", "node_id": failed}
    NodeRun.objects.create(run=run, node_id=failed, status=NodeStatus.FAILED, error=error)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=error)
    return run, failed


def test_largest_template_opens_readable_and_looking_changes_nothing(
    strict_page: Page, live_server_url: str, template_flow: dict
) -> None:
    page = strict_page
    flow: Flow = template_flow["flow"]
    revision = flow.draft_revision
    login_ui(page, live_server_url, "bianca")
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    assert viewport_zoom(page) >= 0.5
    trigger = next(n["id"] for n in template_flow["document"]["nodes"] if n["type"].startswith("trigger."))
    assert in_view(page, trigger)
    # The minimap draws every node.
    expect(page.locator(".react-flow__minimap-node")).to_have_count(len(template_flow["document"]["nodes"]))
    shoot(page, "editor-largest-template")

    # Defect 8: selecting nodes (the form fills in its defaults) saves nothing.
    for node in template_flow["document"]["nodes"][1:4]:
        page.get_by_test_id(f"node-label-{node['id']}").click(force=True)
        expect(page.get_by_test_id("inspector")).to_be_visible()
    page.wait_for_timeout(2500)
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "clean")
    flow.refresh_from_db()
    assert flow.draft_revision == revision


def test_failed_run_opens_on_the_failed_node_and_retry_goes_to_the_new_run(
    strict_page: Page, live_server_url: str, template_flow: dict
) -> None:
    page = strict_page
    run, failed = failed_run(template_flow["flow"], template_flow["builder"], template_flow["document"])
    login_ui(page, live_server_url, "operator1")
    page.goto(f"{live_server_url}/runs/{run.pk}")
    assert viewport_zoom(page) >= 0.5
    assert in_view(page, failed)
    expect(page.get_by_test_id(f"node-{failed}").locator("xpath=..")).to_have_class(re.compile("selected"))
    expect(page.get_by_test_id("inspector")).to_be_visible()
    # A long error wraps inside its box.
    banner = page.locator(".banner-error").first
    box = banner.bounding_box()
    assert box and box["x"] + box["width"] <= 1280
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    shoot(page, "run-detail-failed")

    page.get_by_test_id("run-retry").click()
    expect(page).not_to_have_url(re.compile(rf"/runs/{run.pk}$"))
    new_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert Run.objects.get(pk=new_id).replay_of_id == run.pk
    expect(page.get_by_test_id("run-original")).to_have_text(f"Retry of run #{run.pk}")
    page.get_by_test_id("run-original").click()
    expect(page.get_by_test_id("run-retried-as").first).to_contain_text(f"#{new_id}")


@pytest.mark.parametrize("role", ["viewer1", "approver1", "operator1"])
def test_roles_without_change_get_a_read_only_editor(
    strict_page: Page, live_server_url: str, template_flow: dict, role: str
) -> None:
    page = strict_page
    flow: Flow = template_flow["flow"]
    login_ui(page, live_server_url, role)
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("read-only-banner")).to_contain_text("not edit this flow")
    publish = page.get_by_test_id("publish")
    expect(publish).to_be_disabled()
    expect(publish).to_have_attribute("title", re.compile(r"can view this flow but not publish"))
    run_button = page.get_by_test_id("run-button")
    if role == "operator1":
        expect(run_button).to_be_enabled()  # operators run flows (the policy's RUN)
    else:
        expect(run_button).to_be_disabled()
        expect(run_button).to_have_attribute("title", re.compile("not run it"))
    expect(page.get_by_test_id("palette-search")).to_have_count(0)
    # The canvas does not move nodes or delete them.
    node_id = template_flow["document"]["nodes"][1]["id"]
    box = page.get_by_test_id(f"node-{node_id}").bounding_box()
    assert box
    page.mouse.move(box["x"] + 30, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 230, box["y"] + 220, steps=5)
    page.mouse.up()
    page.keyboard.press("Delete")
    page.wait_for_timeout(2000)
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "clean")
    flow.refresh_from_db()
    assert flow.draft_document == template_flow["document"] or len(flow.draft_document["nodes"]) == len(
        template_flow["document"]["nodes"]
    )
    assert flow.draft_revision == Flow.objects.get(pk=flow.pk).draft_revision


def test_builder_gets_the_full_editor(strict_page: Page, live_server_url: str, template_flow: dict) -> None:
    page = strict_page
    login_ui(page, live_server_url, "bianca")
    page.goto(f"{live_server_url}/flows/{template_flow['flow'].pk}")
    expect(page.get_by_test_id("editor")).to_be_visible()
    expect(page.get_by_test_id("read-only-banner")).to_have_count(0)
    expect(page.get_by_test_id("publish")).to_be_enabled()
    expect(page.get_by_test_id("run-button")).to_be_enabled()
    expect(page.get_by_test_id("palette-search")).to_be_visible()
