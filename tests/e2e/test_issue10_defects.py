"""Issue 10's defects in the browser: large flows readable, run detail on the failed node, retry goes
to the new run, role-aware editor, looking changes nothing, leaving the editor keeps the edit, literal
previews, and the layout bugs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow, FlowVersion, VersionState
from flowbuilder.nodes.registry import load_registry
from flowbuilder.planning import build_plan
from tests.e2e import ARTIFACTS

from .conftest import ROOT, login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEMPLATES = ROOT / "fixtures" / "templates"


def largest_lifecycle_template() -> dict[str, Any]:
    docs = [json.loads(p.read_text()) for p in sorted(TEMPLATES.glob("*.json"))]
    return max(docs, key=lambda t: len(t["document"]["nodes"]))


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


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
    registry = load_registry()  # the trigger may be a connector's (a Salesforce poll), not a trigger.* node
    trigger = next(n["id"] for n in template_flow["document"]["nodes"] if registry.get(n["type"]).is_trigger)
    assert in_view(page, trigger)
    # The minimap draws every node on the canvas: each group, and the nodes of groups not collapsed.
    groups = template_flow["document"].get("groups", [])
    hidden = {nid for g in groups if g.get("collapsed") for nid in g["nodes"]}
    shown = [n for n in template_flow["document"]["nodes"] if n["id"] not in hidden]
    expect(page.locator(".react-flow__minimap-node")).to_have_count(len(shown) + len(groups))
    shoot(page, "editor-largest-template")

    # Defect 8: selecting nodes (the form fills in its defaults) saves nothing.
    for node in shown[1:4]:  # nodes on the canvas (not inside a collapsed group)
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


def node_ids_on_canvas(page: Page) -> list[str]:
    sel = ".react-flow__node-flow [data-testid^='node-'][data-status]"
    return [el.get_attribute("data-testid").removeprefix("node-") for el in page.locator(sel).all()]


def test_layout_bugs(strict_page: Page, live_server_url: str, make_org, make_user) -> None:
    page = strict_page
    org = make_org("Layout Co")
    builder = make_user("lena", org, "builder")
    flow = flow_actions.create_flow(actor=builder, organisation=org, name="Layout", document=None)
    login_ui(page, live_server_url, "lena")
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    canvas = page.get_by_test_id("canvas")
    expect(page.get_by_test_id("canvas-empty")).to_be_visible()

    # A dropped node lands where it was dropped (its centre near the drop point).
    cbox = canvas.bounding_box()
    assert cbox
    page.get_by_test_id("palette-search").fill("trigger.manual")
    page.get_by_test_id("palette-item-trigger.manual").drag_to(canvas, target_position={"x": 120, "y": 150})
    page.get_by_test_id("palette-search").fill("transform.map")
    page.get_by_test_id("palette-item-transform.map").drag_to(canvas, target_position={"x": 300, "y": 420})
    page.get_by_test_id("palette-search").fill("")
    expect(page.locator(".react-flow__node-flow")).to_have_count(2)
    trigger_id, map_id = node_ids_on_canvas(page)
    box = page.get_by_test_id(f"node-{map_id}").bounding_box()
    assert box
    centre = (box["x"] + box["width"] / 2 - cbox["x"], box["y"] + box["height"] / 2 - cbox["y"])
    # (Kept clear of the mapping tab's wider inspector, which would pan the new node into view.)
    assert abs(centre[0] - 300) < 40 and abs(centre[1] - 420) < 40, centre

    # Tidy up on two nodes does not zoom to the maximum.
    page.get_by_test_id("auto-layout").click()
    page.wait_for_timeout(500)
    zoom = page.evaluate(
        "() => new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a"
    )
    assert zoom <= 1.01, zoom

    # Paste lands offset from the original, not on it.
    page.get_by_test_id(f"node-label-{map_id}").click()
    page.keyboard.press("Control+c")
    page.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node-flow")).to_have_count(3)
    (pasted,) = set(node_ids_on_canvas(page)) - {trigger_id, map_id}
    a = page.get_by_test_id(f"node-{map_id}").bounding_box()
    b = page.get_by_test_id(f"node-{pasted}").bounding_box()
    assert a and b and (abs(a["x"] - b["x"]) >= 10 or abs(a["y"] - b["y"]) >= 10)

    # A new note shows above the nodes it lands on.
    page.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    page.get_by_test_id("add-note").click()
    note = page.locator(".react-flow__node-note").last
    expect(note).to_be_visible()
    nbox = note.bounding_box()
    assert nbox
    x, y = nbox["x"] + nbox["width"] / 2, nbox["y"] + nbox["height"] / 2
    top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('.react-flow__node')?.className || ''", [x, y]
    )
    assert "react-flow__node-note" in top, top

    # "More" closes on Escape and on a click outside.
    more = page.get_by_test_id("more-menu")
    more.locator("summary").click()
    expect(more).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(more).not_to_have_attribute("open", "")
    more.locator("summary").click()
    expect(more).to_have_attribute("open", "")
    page.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    expect(more).not_to_have_attribute("open", "")

    # The versions panel keeps its column beside the inspector while a map node is selected.
    page.get_by_test_id(f"node-label-{map_id}").click()
    expect(page.locator(".mapper")).to_be_visible()
    page.get_by_test_id("versions").click()
    drawer = page.locator(".drawer").first
    expect(drawer).to_be_visible()
    dbox = drawer.bounding_box()
    ibox = page.get_by_test_id("inspector").bounding_box()
    assert dbox and ibox
    assert dbox["x"] >= ibox["x"] + ibox["width"] - 2 and dbox["y"] < 150, (dbox, ibox)
    shoot(page, "editor-versions-with-mapper")
    page.get_by_test_id("versions").click()

    # The Help tab renders markdown (the HTTP request node's help has bold and a list), not asterisks.
    page.get_by_test_id("palette-search").fill("http.request")
    page.get_by_test_id("palette-item-http.request").click()
    page.get_by_test_id("palette-search").fill("")
    http_node = page.locator(".react-flow__node-flow [data-type='http.request']").first
    http_id = (http_node.get_attribute("data-testid") or "").removeprefix("node-")
    page.get_by_test_id(f"node-label-{http_id}").click(force=True)
    page.get_by_test_id("inspector-tab-docs").click()
    docs = page.get_by_test_id("inspector-docs-text")
    expect(docs.locator("strong").first).to_be_visible()
    expect(docs.locator("li").first).to_be_visible()
    assert "**" not in (docs.text_content() or "")


def test_leaving_the_editor_right_after_an_edit_keeps_it(
    strict_page: Page, live_server_url: str, make_org, make_user
) -> None:
    page = strict_page
    org = make_org("Quick Co")
    builder = make_user("quinn", org, "builder")
    flow = flow_actions.create_flow(actor=builder, organisation=org, name="Quick", document=None)
    login_ui(page, live_server_url, "quinn")
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("canvas-empty")).to_be_visible()
    page.get_by_test_id("palette-search").fill("trigger.webhook")
    page.get_by_test_id("palette-item-trigger.webhook").drag_to(
        page.get_by_test_id("canvas"), target_position={"x": 300, "y": 200}
    )
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    page.get_by_label("Back to flows").click()  # well within the 1.5 s autosave debounce
    expect(page.get_by_test_id("flow-list")).to_be_visible()

    def saved() -> bool:
        flow.refresh_from_db()
        return len(flow.draft_document["nodes"]) == 1

    deadline = page.evaluate("() => performance.now()") + 5000
    while not saved() and page.evaluate("() => performance.now()") < deadline:
        page.wait_for_timeout(100)
    assert saved(), flow.draft_document
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
