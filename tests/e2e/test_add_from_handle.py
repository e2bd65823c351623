"""Add a node from a handle: the "+" beside an output, and a connection dropped on empty canvas, open the
palette at that point; the picked node is placed there and connected."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow
from tests.support.documents import document, edge, node

from .conftest import login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _edges() -> set[tuple[str, str]]:
    return {(e["source"], e["target"]) for e in Flow.objects.get().draft_document["edges"]}


def settled_box(page: Page, testid: str) -> dict:
    """The element's box once the canvas has stopped moving (it pans to reveal a selection, and closing
    the inspector resizes it): a drag that starts while it moves misses the handle."""
    last = None
    for _ in range(50):
        box = page.get_by_test_id(testid).bounding_box()
        if box is not None and box == last:
            return box
        last = box
        page.wait_for_timeout(150)
    raise AssertionError(f"{testid} never stopped moving: {last}")


def test_plus_and_dropped_connection_add_a_connected_node(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    page = strict_page
    doc = document(
        [
            node("t", "trigger.manual", position={"x": 0, "y": 200}),
            node("m", "transform.map", {"fields": []}, position={"x": 300, "y": 200}),
        ],
        [edge("t", "m")],
    )
    flow = flow_actions.create_flow(
        actor=analyst["user"], organisation=analyst["org"], name="Plus", document=doc
    )
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{flow.pk}")
    expect(page.get_by_test_id("node-m")).to_be_visible()
    nodes = page.locator(".react-flow__node-flow")
    expect(nodes).to_have_count(2)

    # 1. The "+" beside m's output: the palette opens, offers no trigger, Enter adds the first match.
    page.get_by_test_id("node-m").hover()
    page.get_by_test_id("handle-plus-m-main").click()
    palette = page.get_by_test_id("handle-palette")
    expect(palette).to_be_visible()
    expect(page.get_by_test_id("handle-palette-item-trigger.manual")).to_have_count(0)
    page.get_by_test_id("handle-palette-search").fill("transform.map")
    page.get_by_test_id("handle-palette-item-transform.map").click()
    expect(palette).to_be_hidden()
    expect(nodes).to_have_count(3)
    new = next(
        i
        for i in page.locator("[data-testid^='node-label-']").evaluate_all(
            "els => els.map(e => e.dataset.testid.slice(11))"
        )
        if i not in ("t", "m")
    )

    # 2. A connection dragged from the new node's output and dropped on empty canvas (the inspector of
    # the new node closed first, so the canvas stops panning to reveal it).
    page.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()
    handle = settled_box(page, f"handle-{new}-out-main")
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=12)
    page.mouse.up()
    expect(palette).to_be_visible()
    box = palette.bounding_box()
    # At the drop point (moved up only as far as it takes to stay on screen).
    assert box is not None and abs(box["x"] - (x + 120)) < 30
    assert box["y"] <= y + 60 + 1 and box["y"] + box["height"] <= 800
    page.get_by_test_id("handle-palette-search").fill("if")
    page.screenshot(path="/work/shots/ffafford/add-from-handle.png")
    page.get_by_test_id("handle-palette-search").press("Enter")
    expect(nodes).to_have_count(4)

    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", re.compile("saved|clean"))
    draft = Flow.objects.get().draft_document
    newest = next(n for n in draft["nodes"] if n["id"] not in ("t", "m", new))
    assert newest["type"] == "logic.if"
    assert _edges() == {("t", "m"), ("m", new), (new, newest["id"])}
    # Placed where the connection was dropped: right of the node it hangs from.
    placed = {n["id"]: n["position"] for n in draft["nodes"]}
    assert placed[newest["id"]]["x"] > placed[new]["x"] and placed[newest["id"]]["y"] > placed[new]["y"]
