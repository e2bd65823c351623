"""Issue 3: the editor against the real backend (uvicorn + Celery worker + PostgreSQL + Redis)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import api_session, login_ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --------------------------------------------------------------------------- helpers
def node_ids(page: Page, type_: str | None = None) -> list[str]:
    sel = ".react-flow__node-flow [data-testid^='node-'][data-status]"
    if type_:
        sel = f".react-flow__node-flow [data-type='{type_}']"
    return [el.get_attribute("data-testid").removeprefix("node-") for el in page.locator(sel).all()]


def drop_from_palette(page: Page, type_: str, x: int, y: int) -> str:
    """Drag a palette item onto the canvas at (x, y) (canvas coordinates); return the new node's id."""
    before = set(node_ids(page))
    page.get_by_test_id("palette-search").fill(type_)
    page.get_by_test_id(f"palette-item-{type_}").drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )
    page.get_by_test_id("palette-search").fill("")
    expect(page.locator(".react-flow__node-flow")).to_have_count(len(before) + 1)
    (new,) = set(node_ids(page)) - before
    return new


def connect(page: Page, source: str, source_port: str, target: str, target_port: str = "main") -> None:
    page.get_by_test_id(f"handle-{source}-out-{source_port}").drag_to(
        page.get_by_test_id(f"handle-{target}-in-{target_port}")
    )


def edge_locator(page: Page, source: str, target: str) -> Locator:
    return page.locator(f".react-flow__edge[data-id^='e_{source}.'][data-id*='-{target}.']")


def select_node(page: Page, node_id: str) -> None:
    page.get_by_test_id(f"node-label-{node_id}").click()
    expect(page.get_by_test_id("inspector")).to_be_visible()


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", re.compile("saved|clean"))


def save_now(page: Page) -> None:
    page.keyboard.press("Control+s")
    wait_saved(page)


def create_flow_ui(page: Page, name: str) -> int:
    page.get_by_test_id("create-flow").click()
    page.get_by_test_id("create-flow-name").fill(name)
    page.get_by_test_id("create-flow-submit").click()
    editor = page.get_by_test_id("editor")
    expect(editor).to_be_visible()
    return int(editor.get_attribute("data-flow-id") or 0)


def server_draft(flow_id: int) -> dict[str, Any]:
    from flowbuilder.flows.models import Flow

    return Flow.objects.get(pk=flow_id).draft_document


def deselect(page: Page) -> None:
    page.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()


def fill_code(page: Page, testid: str, text: str) -> None:
    """Replace the content of a CodeMirror field (mounted in an open shadow root) with ``text``.

    Returns once the editor holds the text and has had two animation frames to hand it to React: on a
    loaded machine CodeMirror can apply input a frame late, and a button clicked at machine speed before
    that read the old value (CI flake: "Pin sample" parsed an empty sample)."""
    editor = page.get_by_test_id(f"{testid}-input")
    want = "".join(text.split())
    for _ in range(3):
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(text)
        for _ in range(50):
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            if "".join((editor.text_content() or "").split()) == want:
                return
            page.wait_for_timeout(100)
    raise AssertionError(f"{testid} did not take the text; it holds {editor.text_content()!r}")


SAMPLE = {"Account": {"Name": "Acme"}, "amount": 2500}


def last_run_errors(flow_id: int) -> list:
    """What the server recorded for the flow's last run: the first thing to read when a node turns red."""
    from flowbuilder.execution.models import Run

    run = Run.objects.filter(flow_id=flow_id).order_by("-id").first()
    if run is None:
        return []
    return [(n.node_id, n.status, n.error) for n in run.node_runs.all()] + [("run", run.status, run.error)]


# --------------------------------------------------------------------------- tests
def test_build_save_reload_run(
    strict_page: Page, live_server_url: str, analyst: dict, worker, artifacts
) -> None:
    page = strict_page
    login_ui(page, live_server_url, analyst["username"])

    # Pick the organisation: the flow is created in the one the switcher shows.
    page.get_by_test_id("org-switcher").select_option(str(analyst["org"].pk))
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_test_id("nav-flows").click()
    flow_id = create_flow_ui(page, "Won deals to projects")
    expect(page.get_by_test_id("canvas-empty")).to_be_visible()
    page.screenshot(path=str(artifacts / "editor-empty.png"))

    trigger = drop_from_palette(page, "trigger.manual", 130, 150)
    deselect(page)
    mapper = drop_from_palette(page, "transform.map", 330, 300)
    deselect(page)
    branch = drop_from_palette(page, "logic.if", 530, 450)
    deselect(page)

    connect(page, trigger, "main", mapper)
    expect(edge_locator(page, trigger, mapper)).to_have_count(1)
    connect(page, mapper, "main", branch)
    expect(edge_locator(page, mapper, branch)).to_have_count(1)

    # A cycle by connection attempt is refused, with the reason in a toast.
    connect(page, branch, "true", mapper)
    toast = page.get_by_test_id("toast").filter(has_text="Connection refused")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(re.compile("cycle|loop", re.I))
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    page.get_by_test_id("auto-layout").click()

    # Configure the If condition.
    select_node(page, branch)
    fill_code(page, "field-cfg_condition", "{{ $item.amount > 1000 }}")

    # Mapping by drag and drop: pin a sample on the trigger so source fields exist.
    select_node(page, mapper)
    page.get_by_test_id("inspector-tab-mapping").click()
    page.get_by_test_id("mapper-sample-paste").click()
    fill_code(page, "mapper-sample-json", json.dumps(SAMPLE))
    page.get_by_test_id("mapper-sample-save").click()
    source = page.get_by_test_id("mapper-source-Account.Name")
    expect(source).to_be_visible()
    source.drag_to(page.get_by_test_id("mapper-new-target"))
    expect(page.get_by_test_id("mapper-target-name-0")).to_have_value("name")
    page.get_by_test_id("mapper-source-amount").drag_to(page.get_by_test_id("mapper-new-target"))
    expect(page.get_by_test_id("mapper-target-name-1")).to_have_value("amount")

    save_now(page)
    doc = server_draft(flow_id)
    by_id = {n["id"]: n for n in doc["nodes"]}
    assert set(by_id) == {trigger, mapper, branch}
    fields = by_id[mapper]["config"]["fields"]
    assert [f["name"] for f in fields] == ["name", "amount"]
    assert "Account.Name" in fields[0]["value"]
    assert by_id[branch]["config"]["condition"] == "{{ $item.amount > 1000 }}"
    assert {(e["source"], e["source_port"], e["target"], e["target_port"]) for e in doc["edges"]} == {
        (trigger, "main", mapper, "main"),
        (mapper, "main", branch, "main"),
    }
    page.screenshot(path=str(artifacts / "editor.png"))

    # Reload: the same graph comes back from the server.
    page.reload()
    expect(page.get_by_test_id("editor")).to_be_visible()
    expect(page.locator(".react-flow__node-flow")).to_have_count(3)
    assert set(node_ids(page)) == {trigger, mapper, branch}
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    expect(edge_locator(page, trigger, mapper)).to_have_count(1)
    expect(edge_locator(page, mapper, branch)).to_have_count(1)
    select_node(page, mapper)
    page.get_by_test_id("inspector-tab-mapping").click()
    expect(page.get_by_test_id("mapper-target-name-0")).to_have_value("name")
    expect(page.get_by_test_id("mapper-source-Account.Name")).to_be_visible()  # pinned sample survived
    deselect(page)

    # Run with an input: every node turns green over the websocket, edges carry item counts.
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("run-dialog")).to_be_visible()
    fill_code(page, "run-input", json.dumps([SAMPLE, {"Account": {"Name": "Tiny"}, "amount": 5}]))
    page.get_by_test_id("run-submit").click()
    try:
        for node_id in (trigger, mapper, branch):
            expect(page.get_by_test_id(f"node-{node_id}")).to_have_attribute("data-status", "succeeded")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nnode runs: {last_run_errors(flow_id)}") from None
    expect(page.get_by_test_id("run-bar")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id(f"node-counts-{mapper}")).to_have_text(re.compile(r"2\s*→\s*2"))
    expect(edge_locator(page, trigger, mapper).locator(".react-flow__edge-text")).to_have_text("2 items")
    expect(edge_locator(page, mapper, branch).locator(".react-flow__edge-text")).to_have_text("2 items")

    select_node(page, branch)
    page.get_by_test_id("inspector-tab-output").click()
    table = page.get_by_test_id("output-table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("Acme")
    page.screenshot(path=str(artifacts / "run.png"))


def test_imported_cycle_is_marked_on_the_nodes(
    strict_page: Page, live_server_url: str, analyst: dict, artifacts
) -> None:
    """A cyclic document imported through the API opens with its nodes marked red and the cycle message."""
    from flowbuilder.flows.actions import EXPORT_FORMAT
    from tests.support.documents import document, edge, node

    doc = document(
        [
            {**node("t", "trigger.manual"), "position": {"x": 0, "y": 0}},
            {**node("a", "transform.map"), "position": {"x": 300, "y": 0}},
            {**node("b", "transform.map"), "position": {"x": 600, "y": 120}},
        ],
        [edge("t", "a"), edge("a", "b"), edge("b", "a")],
    )
    session = api_session(live_server_url, analyst["username"])
    response = session.post(
        "/api/flows/import/",
        json={
            "organisation": analyst["org"].pk,
            "data": {"format": EXPORT_FORMAT, "name": "Loop", "document": doc},
        },
    )
    assert response.status_code == 201, response.text
    flow_id = response.json()["id"]

    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{flow_id}")
    expect(page.get_by_test_id("editor")).to_be_visible()
    for node_id in ("a", "b"):
        badge = page.get_by_test_id(f"node-errors-{node_id}")
        expect(badge).to_have_attribute("data-severity", "error")
        expect(badge).to_contain_text(re.compile("cycle", re.I))
        assert "has-errors" in (page.get_by_test_id(f"node-{node_id}").get_attribute("class") or "")
    color = page.get_by_test_id("node-a").evaluate("el => getComputedStyle(el).borderTopColor")
    assert color == "rgb(214, 69, 69)", color  # --fb-fail
    select_node(page, "a")
    expect(page.get_by_test_id("inspector-findings")).to_contain_text(re.compile("cycle", re.I))
    page.screenshot(path=str(artifacts / "editor-cycle.png"))


def test_undo_redo_copy_paste(strict_page: Page, live_server_url: str, analyst: dict) -> None:
    from tests.support.documents import document, edge, node

    session = api_session(live_server_url, analyst["username"])
    doc = document(
        [
            {**node("t", "trigger.manual"), "position": {"x": 0, "y": 0}},
            {
                **node("m", "transform.map", {"fields": [{"name": "x", "value": "1"}]}),
                "position": {"x": 300, "y": 0},
            },
        ],
        [edge("t", "m")],
    )
    response = session.post(
        "/api/flows/", json={"organisation": analyst["org"].pk, "name": "Clipboard", "document": doc}
    )
    assert response.status_code == 201, response.text
    flow_id = response.json()["id"]

    page = strict_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{flow_id}")
    expect(page.locator(".react-flow__node-flow")).to_have_count(2)
    expect(page.get_by_test_id("undo")).to_be_disabled()

    # Delete the map node, undo brings it (and its edge) back, redo deletes it again.
    select_node(page, "m")
    page.get_by_test_id("delete").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("node-m")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.get_by_test_id("redo").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("node-m")).to_be_visible()

    # Copy both nodes and paste: new ids, same config, the edge between them copied too.
    page.get_by_test_id("node-label-t").click()
    page.get_by_test_id("node-label-m").click(modifiers=["Shift"])
    page.get_by_test_id("more-menu").locator("summary").click()
    page.get_by_test_id("copy").click()
    if not page.get_by_test_id("paste").is_visible():
        page.get_by_test_id("more-menu").locator("summary").click()
    page.get_by_test_id("paste").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(4)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    ids = set(node_ids(page))
    new_ids = ids - {"t", "m"}
    assert len(new_ids) == 2
    (new_map,) = [
        i for i in new_ids if page.get_by_test_id(f"node-{i}").get_attribute("data-type") == "transform.map"
    ]

    save_now(page)
    saved = {n["id"]: n for n in server_draft(flow_id)["nodes"]}
    assert set(saved) == ids
    assert saved[new_map]["config"] == {"fields": [{"name": "x", "value": "1"}]}

    # Undo the paste: back to two nodes; redo: four again.
    page.get_by_test_id("undo").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(2)
    page.get_by_test_id("redo").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(4)


def test_hostile_flow_name_is_text(strict_page: Page, live_server_url: str, analyst: dict) -> None:
    """A flow named like an XSS payload raises no dialog (strict_page fails on any) and shows as text."""
    hostile = "<img src=x onerror=alert(1)>"
    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.get_by_test_id("org-switcher").select_option(str(analyst["org"].pk))
    flow_id = create_flow_ui(page, hostile)
    expect(page.get_by_test_id("flow-name")).to_have_value(hostile)
    page.get_by_test_id("nav-flows").click()
    row = page.get_by_test_id(f"flow-row-{flow_id}")
    expect(row).to_contain_text(hostile)
    assert row.locator("img").count() == 0
    page.goto(f"{live_server_url}/runs")
    page.goto(f"{live_server_url}/flows/{flow_id}")
    expect(page.get_by_test_id("editor")).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(300)  # give a (wrongly) injected onerror handler the time to fire


def test_connection_picker_lists_the_organisations_connections(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    """The picker asks GET /api/connections/?organisation=&connector= and offers only those connections."""
    from flowbuilder.credentials.models import Connection
    from tests.support.documents import document, node

    session = api_session(live_server_url, analyst["username"])
    types = session.get("/api/node-types/").json()
    picked = next(
        (t, name)
        for t in types
        for name, prop in (t["config_schema"].get("properties") or {}).items()
        if prop.get("x-connection")
    )
    node_type, field = picked
    connector = node_type["config_schema"]["properties"][field]["x-connection"]

    def make(org, name: str, connector_key: str) -> Connection:
        return Connection.objects.create(
            organisation=org,
            name=name,
            connector=connector_key,
            base_url="http://127.0.0.1:9",
            credential_type="x",
        )

    mine = make(analyst["org"], "Production CRM", connector)
    make(analyst["other"], "Other customer's CRM", connector)
    make(analyst["org"], "Some other system", "not." + connector)

    doc = document([{**node("c", node_type["type"]), "position": {"x": 0, "y": 0}}], [])
    response = session.post(
        "/api/flows/", json={"organisation": analyst["org"].pk, "name": "Picker", "document": doc}
    )
    assert response.status_code == 201, response.text
    flow_id = response.json()["id"]

    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.get_by_test_id("org-switcher").select_option(str(analyst["org"].pk))
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/api/connections/")) as listed:
        page.goto(f"{live_server_url}/flows/{flow_id}")
        select_node(page, "c")
        page.get_by_test_id("inspector-tab-settings").click()
    query = listed.value.url.split("?", 1)[1]
    assert f"organisation={analyst['org'].pk}" in query and f"connector={connector}" in query, query
    picker = page.get_by_test_id(f"field-cfg_{field}")
    expect(picker.locator("option")).to_have_count(2)  # the placeholder and ours
    expect(picker).to_contain_text("Production CRM")
    value = picker.locator("option", has_text="Production CRM").get_attribute("value")
    picker.select_option(value)
    save_now(page)
    saved = server_draft(flow_id)["nodes"][0]["config"][field]
    assert saved == value, (saved, value)
    assert saved in {mine.ref, str(mine.pk)}, saved


def flow_wrapper(page: Page, node_id: str) -> Locator:
    """React Flow's wrapper of a node (it carries the ``selected`` class)."""
    return page.locator(f".react-flow__node[data-id='{node_id}']")


def test_undo_redo_restore_the_selection(strict_page: Page, live_server_url: str, analyst: dict) -> None:
    """Undoing a delete re-selects the restored node; undoing a move keeps the moved node selected."""
    from tests.support.documents import document, edge, node

    session = api_session(live_server_url, analyst["username"])
    doc = document(
        [
            {**node("t", "trigger.manual"), "position": {"x": 0, "y": 0}},
            {**node("m", "transform.map"), "position": {"x": 300, "y": 0}},
        ],
        [edge("t", "m")],
    )
    response = session.post(
        "/api/flows/", json={"organisation": analyst["org"].pk, "name": "Selection", "document": doc}
    )
    assert response.status_code == 201, response.text
    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{response.json()['id']}")
    expect(page.locator(".react-flow__node-flow")).to_have_count(2)

    select_node(page, "m")
    page.get_by_test_id("delete").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()
    page.keyboard.press("Control+z")
    expect(flow_wrapper(page, "m")).to_have_class(re.compile(r"\bselected\b"))
    expect(page.get_by_test_id("inspector")).to_be_visible()
    expect(page.get_by_test_id("inspector").locator(".inspector-title")).to_have_value("m")
    page.get_by_test_id("redo").click()
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()
    page.get_by_test_id("undo").click()
    expect(flow_wrapper(page, "m")).to_have_class(re.compile(r"\bselected\b"))

    # Move the trigger by dragging it, click away, undo: back in place and selected again.
    def flow_position(node_id: str) -> str:  # the wrapper's translate() is in flow coordinates
        return flow_wrapper(page, node_id).evaluate("el => el.style.transform")

    start = flow_position("t")
    box = page.get_by_test_id("node-label-t").bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 60, steps=8)
    page.mouse.up()
    assert flow_position("t") != start
    deselect(page)
    expect(flow_wrapper(page, "t")).not_to_have_class(re.compile(r"\bselected\b"))
    page.get_by_test_id("undo").click()
    expect(flow_wrapper(page, "t")).to_have_class(re.compile(r"\bselected\b"))
    expect(flow_wrapper(page, "m")).not_to_have_class(re.compile(r"\bselected\b"))
    assert flow_position("t") == start


def test_inspector_never_hides_the_selected_node(
    strict_page: Page, live_server_url: str, analyst: dict, artifacts
) -> None:
    """A node dropped at the far right edge is panned into view beside the (wider, mapping) inspector;
    selecting a node that is already visible does not move the canvas."""
    from tests.support.documents import document, node

    session = api_session(live_server_url, analyst["username"])
    doc = document([{**node("t", "trigger.manual"), "position": {"x": 0, "y": 0}}], [])
    response = session.post(
        "/api/flows/", json={"organisation": analyst["org"].pk, "name": "Reveal", "document": doc}
    )
    assert response.status_code == 201, response.text
    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{response.json()['id']}")
    expect(page.locator(".react-flow__node-flow")).to_have_count(1)
    viewport = page.locator(".react-flow__viewport")
    loaded = viewport.get_attribute("style")

    canvas = page.get_by_test_id("canvas").bounding_box()
    assert canvas
    mapper = drop_from_palette(page, "transform.map", int(canvas["width"]) - 12, 300)
    expect(page.get_by_test_id("inspector-tab-mapping")).to_be_visible()
    page.wait_for_function(
        """(id) => {
            const node = document.querySelector(`.react-flow__node[data-id="${id}"]`).getBoundingClientRect();
            const panel = document.querySelector('[data-testid="inspector"]').getBoundingClientRect();
            return node.right <= panel.left;
        }""",
        arg=mapper,
    )
    page.wait_for_timeout(400)  # the pan is animated: measure and take the screenshot where it ends
    node_box = flow_wrapper(page, mapper).bounding_box()
    panel_box = page.get_by_test_id("inspector").bounding_box()
    assert node_box and panel_box
    assert node_box["x"] + node_box["width"] <= panel_box["x"], (node_box, panel_box)
    assert viewport.get_attribute("style") != loaded  # it was panned, not placed there
    page.screenshot(path=str(artifacts / "editor-reveal.png"))

    # Now visible: selecting it again (the inspector narrows, then widens) leaves the viewport alone.
    before = viewport.get_attribute("style")
    deselect(page)
    select_node(page, mapper)
    page.wait_for_timeout(400)
    assert viewport.get_attribute("style") == before


def test_schedule_trigger_shows_its_next_fire_times_in_the_organisations_zone(
    strict_page: Page, live_server_url: str, analyst: dict
) -> None:
    """Under the cron field: the next five times, from the server, refreshed as the expression changes."""
    from tests.conftest import document, node

    org = analyst["org"]
    org.timezone = "Europe/Berlin"
    org.save(update_fields=["timezone"])
    schedule = node("s", "trigger.schedule", {"mode": "cron", "cron": "30 2 * * *"})
    session = api_session(live_server_url, analyst["username"])
    response = session.post(
        "/api/flows/",
        json={
            "organisation": org.pk,
            "name": "Nightly",
            "document": document([{**schedule, "position": {"x": 0, "y": 0}}], []),
        },
    )
    assert response.status_code == 201, response.text

    page = strict_page
    login_ui(page, live_server_url, analyst["username"])
    page.goto(f"{live_server_url}/flows/{response.json()['id']}")
    select_node(page, "s")
    page.get_by_test_id("inspector-tab-settings").click()
    preview = page.get_by_test_id("schedule-preview")
    expect(preview).to_contain_text("Europe/Berlin")
    expect(preview.locator("li")).to_have_count(5)
    expect(preview.locator("li").first).to_contain_text("02:30")  # or 03:00 on a spring-forward night

    page.locator("#cfg_cron").fill("15 6 * * 1-5")
    expect(preview.locator("li").first).to_contain_text("06:15")
    expect(preview.locator("li")).to_have_count(5)
    page.screenshot(path=str(_artifact("schedule-preview.png")))

    page.locator("#cfg_cron").fill("61 * * * *")
    expect(page.get_by_test_id("schedule-preview-error")).to_contain_text("minute")


def _artifact(name: str) -> Any:
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    return out / name
