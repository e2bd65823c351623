"""Dev helper: interaction smoke test against the mock preview (FB_MOCK=1 npx vite preview).

Checks keyboard copy/paste, duplicate, undo/redo, delete, rename, disable, autosave, mapper drag and
palette drop using only data-testid selectors (the same ones a Playwright e2e test should use).
"""
import sys
import time
from playwright.sync_api import sync_playwright, expect

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:4173"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{BASE}/flows/1")
    nodes = page.locator('.react-flow__node-flow')
    expect(page.get_by_test_id("node-n_http")).to_be_visible()
    time.sleep(0.3)
    n0 = nodes.count()

    page.get_by_test_id("node-label-n_map").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(nodes).to_have_count(n0 + 1)
    page.keyboard.press("Control+d")
    expect(nodes).to_have_count(n0 + 2)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(n0)
    page.keyboard.press("Control+Shift+z")
    expect(nodes).to_have_count(n0 + 1)
    page.get_by_test_id("node-label-n_query").click()
    page.keyboard.press("Delete")
    expect(nodes).to_have_count(n0)
    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(n0 + 1)
    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(n0)
    print("copy/paste/duplicate/undo/redo/delete ok")

    page.get_by_test_id("node-label-n_http").dblclick()
    page.get_by_test_id("node-rename-n_http").fill("Tell Slack")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("node-label-n_http")).to_have_text("Tell Slack")
    page.keyboard.press("d")
    expect(page.get_by_test_id("node-n_http")).to_have_attribute("data-disabled", "true")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved", timeout=6000)
    print("rename/disable/autosave ok")

    page.get_by_test_id("canvas").click(position={"x": 40, "y": 40})
    page.get_by_test_id("palette-item-logic.if").drag_to(page.get_by_test_id("canvas"), target_position={"x": 300, "y": 560})
    expect(nodes).to_have_count(n0 + 1)
    print("palette drop ok")

    page.get_by_test_id("run-button").click()
    page.get_by_test_id("run-submit").click()
    expect(page.get_by_test_id("run-bar")).to_have_attribute("data-status", "failed", timeout=20000)
    page.get_by_test_id("node-label-n_map").click()
    page.get_by_test_id("inspector-tab-mapping").click()
    page.get_by_test_id("mapper-source-Amount").drag_to(page.get_by_test_id("mapper-target-budget"))
    expect(page.get_by_test_id("mapper-target-budget")).to_be_visible()
    expect(page.get_by_test_id("mapper-target-budget")).to_contain_text("$item.Amount")
    expect(page.get_by_test_id("mapper-target-value-2-preview")).to_contain_text("120000", timeout=5000)
    page.get_by_test_id("mapper-source-Owner.Email").drag_to(page.get_by_test_id("mapper-new-target"))
    expect(page.get_by_test_id("mapper-target-email")).to_contain_text("$item.Owner.Email")
    print("mapper drag ok")
    page.screenshot(path="/tmp/shots/16-mapper-wide.png")

    page.get_by_test_id("node-label-n_ws").click()
    page.get_by_test_id("inspector-tab-output").click()
    expect(page.get_by_test_id("output-error")).to_contain_text("Kantata refused")
    print("output inspector ok")
    print("page errors:", errors or "none")
    browser.close()
