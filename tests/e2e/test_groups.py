"""Issue 10: grouping long flows in the editor (a React Flow sub flow), collapsing a group to one node
with its edges on the border, saving and reloading as saved; the lifecycle templates open grouped; a run
view opens the collapsed group of its failed node."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from tests.e2e import ARTIFACTS

from .conftest import ROOT, login_ui
from .test_issue10_defects import failed_run, viewport_zoom

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chain_document() -> dict[str, Any]:
    """Manual trigger -> four map nodes in a row."""
    ids = ["t", "m0", "m1", "m2", "m3"]
    nodes = [
        {
            "id": nid,
            "type": "trigger.manual" if nid == "t" else "transform.map",
            "label": "Start" if nid == "t" else f"Map {nid}",
            "position": {"x": 280 * i, "y": 100},
            "config": {} if nid == "t" else {"fields": [{"name": "n", "value": "1"}]},
        }
        for i, nid in enumerate(ids)
    ]
    edges = [
        {"id": f"e_{a}.main-{b}.main", "source": a, "source_port": "main", "target": b, "target_port": "main"}
        for a, b in zip(ids, ids[1:], strict=False)
    ]
    return {"schema_version": 1, "nodes": nodes, "edges": edges}


@pytest.fixture
def grouping_flow(make_org, make_user) -> dict[str, Any]:
    org = make_org("Acme Services")
    builder = make_user("bianca", org, "builder")
    make_user("operator1", org, "operator")
    flow = flow_actions.create_flow(actor=builder, organisation=org, name="Chain", document=chain_document())
    return {"org": org, "builder": builder, "flow": flow}


def open_flow(page: Page, base: str, flow: Flow) -> None:
    page.goto(f"{base}/flows/{flow.pk}")
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-viewport", "ready")


def saved(page: Page) -> None:
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", re.compile("saved|clean"))


def rerouted_edges(page: Page):
    return page.locator(".react-flow__edge[data-id^='grp:']")


def test_group_three_nodes_collapse_save_reload(
    strict_page: Page, live_server_url: str, grouping_flow: dict
) -> None:
    page = strict_page
    flow: Flow = grouping_flow["flow"]
    login_ui(page, live_server_url, "bianca")
    open_flow(page, live_server_url, flow)
    before = {nid: page.get_by_test_id(f"node-{nid}").bounding_box() for nid in ("m0", "m1", "m2")}

    # Select three nodes and group them with Ctrl+G; the new group asks for its name.
    page.get_by_test_id("node-label-m0").click()
    page.get_by_test_id("node-label-m1").click(modifiers=["Shift"])
    page.get_by_test_id("node-label-m2").click(modifiers=["Shift"])
    expect(page.get_by_test_id("group")).to_be_visible()
    page.keyboard.press("Control+g")
    name = page.locator("[data-testid^='group-rename-']")
    expect(name).to_be_focused()
    name.fill("Shape the data")
    name.press("Enter")
    group = page.locator(".react-flow__node-group [data-testid^='group-g_']").first
    expect(group).to_have_attribute("data-collapsed", "false")
    gid = (group.get_attribute("data-testid") or "").removeprefix("group-")
    expect(page.get_by_test_id(f"group-label-{gid}")).to_have_text("Shape the data")
    expect(page.get_by_test_id(f"group-meta-{gid}")).to_have_text("3 nodes")
    # React Flow's sub flow: the members are children of the group node, and stay where they were.
    for nid, box in before.items():
        after = page.get_by_test_id(f"node-{nid}").bounding_box()
        assert box and after and abs(after["x"] - box["x"]) < 1 and abs(after["y"] - box["y"]) < 1
    saved(page)
    flow.refresh_from_db()
    assert flow.draft_document["groups"] == [
        {"id": gid, "label": "Shape the data", "nodes": ["m0", "m1", "m2"], "collapsed": False}
    ]

    # Collapse: one node; the edge in and the edge out end on its border; inner edges are hidden.
    page.get_by_test_id(f"group-toggle-{gid}").click()
    expect(group).to_have_attribute("data-collapsed", "true")
    for nid in ("m0", "m1", "m2"):
        expect(page.get_by_test_id(f"node-{nid}")).to_have_count(0)
    expect(rerouted_edges(page)).to_have_count(2)
    expect(page.locator(f".react-flow__edge[data-id='grp:t.out:main-{gid}.in:__group']")).to_have_count(1)
    expect(page.locator(f".react-flow__edge[data-id='grp:{gid}.out:__group-m3.in:main']")).to_have_count(1)
    expect(page.locator(".react-flow__edge path.react-flow__edge-path")).to_have_count(2)
    saved(page)
    flow.refresh_from_db()
    assert flow.draft_document["groups"][0]["collapsed"] is True
    assert flow.draft_document["edges"] == chain_document()["edges"]  # grouping changes no edge

    # Reload: collapsed as saved, edges intact.
    page.reload()
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-viewport", "ready")
    expect(page.get_by_test_id(f"group-{gid}")).to_have_attribute("data-collapsed", "true")
    expect(rerouted_edges(page)).to_have_count(2)
    expect(page.get_by_test_id("node-m1")).to_have_count(0)

    # Expand: the nodes come back in place with all four edges; saved and reloaded expanded.
    page.get_by_test_id(f"group-meta-{gid}").dblclick()  # (a double-click on its name renames it)
    expect(page.get_by_test_id(f"group-{gid}")).to_have_attribute("data-collapsed", "false")
    expect(rerouted_edges(page)).to_have_count(0)
    for edge in chain_document()["edges"]:
        expect(page.locator(f".react-flow__edge[data-id='{edge['id']}']")).to_have_count(1)
    saved(page)
    page.reload()
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-viewport", "ready")
    expect(page.get_by_test_id(f"group-{gid}")).to_have_attribute("data-collapsed", "false")
    expect(page.get_by_test_id("node-m1")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(4)

    # Ungroup (context menu): the nodes stay, the group is gone from the document.
    page.get_by_test_id(f"group-label-{gid}").click(button="right")
    page.get_by_test_id("menu-ungroup").click()
    expect(page.get_by_test_id(f"group-{gid}")).to_have_count(0)
    expect(page.get_by_test_id("node-m1")).to_be_visible()
    saved(page)
    flow.refresh_from_db()
    assert "groups" not in flow.draft_document
    assert [n["position"] for n in flow.draft_document["nodes"]] == [
        n["position"] for n in chain_document()["nodes"]
    ]


def test_lifecycle_template_opens_grouped_and_a_failed_run_opens_its_group(
    strict_page: Page, live_server_url: str, make_org, make_user
) -> None:
    page = strict_page
    page.set_viewport_size({"width": 1280, "height": 800})
    org = make_org("Acme Services")
    builder = make_user("bianca", org, "builder")
    make_user("operator1", org, "operator")
    template = json.loads((ROOT / "fixtures" / "templates" / "quote_to_project.json").read_text())
    document = template["document"]
    flow = flow_actions.create_flow(actor=builder, organisation=org, name=template["name"], document=document)
    login_ui(page, live_server_url, "bianca")
    open_flow(page, live_server_url, flow)
    groups = document["groups"]
    collapsed = [g for g in groups if g["collapsed"]]
    assert collapsed and len(collapsed) < len(groups)
    for g in groups:
        expect(page.get_by_test_id(f"group-{g['id']}")).to_have_attribute(
            "data-collapsed", "true" if g["collapsed"] else "false"
        )
    assert viewport_zoom(page) >= 0.5
    page.screenshot(path=str(ARTIFACTS / "groups-template-collapsed.png"))

    # Collapsed, the groups lie side by side: the whole flow at a glance.
    page.get_by_role("button", name="Fit View").click()
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "groups-template-overview.png"))
    # Expand every group; saved, the flow opens with every node again.
    for g in collapsed:
        page.get_by_test_id(f"group-toggle-{g['id']}").dispatch_event("click")
        expect(page.get_by_test_id(f"group-{g['id']}")).to_have_attribute("data-collapsed", "false")
    expect(page.locator(".react-flow__node-flow")).to_have_count(len(document["nodes"]))
    saved(page)
    page.reload()
    assert viewport_zoom(page) >= 0.5
    expect(page.locator(".react-flow__node-flow")).to_have_count(len(document["nodes"]))
    page.screenshot(path=str(ARTIFACTS / "groups-template-expanded.png"))

    # A failed run whose failed node sits in a collapsed group: the group opens on it; the others show
    # their members' status in one (any failed -> failed).
    run, failed = failed_run(flow, builder, document)
    owner = next(g for g in groups if failed in g["nodes"])
    assert owner["collapsed"]
    page.goto(f"{live_server_url}/runs/{run.pk}")
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-viewport", "ready")
    expect(page.get_by_test_id(f"group-{owner['id']}")).to_have_attribute("data-collapsed", "false")
    expect(page.get_by_test_id(f"group-{owner['id']}")).to_have_attribute("data-status", "failed")
    expect(page.get_by_test_id(f"node-{failed}")).to_be_visible()
    done = next(g for g in groups if g["collapsed"] and g is not owner and g["id"] == "g_match")
    expect(page.get_by_test_id(f"group-{done['id']}")).to_have_attribute("data-status", "succeeded")
    page.screenshot(path=str(ARTIFACTS / "groups-run-failed.png"))
    # Collapsing in the run view is this viewer's choice: nothing is saved.
    revision = Flow.objects.get(pk=flow.pk).draft_revision
    page.get_by_test_id(f"group-toggle-{owner['id']}").dispatch_event("click")  # its header may be off screen
    expect(page.get_by_test_id(f"group-{owner['id']}")).to_have_attribute("data-collapsed", "true")
    expect(page.get_by_test_id(f"group-status-{owner['id']}")).to_have_text("failed")
    assert Flow.objects.get(pk=flow.pk).draft_revision == revision
