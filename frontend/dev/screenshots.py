"""Dev helper: drive the mock-backed preview (FB_MOCK=1 vite preview) and take 1280x800 screenshots.

Usage: /work/main/.venv/bin/python dev/screenshots.py [base_url] [out_dir]
"""
import sys
import time
from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:4173"
OUT = sys.argv[2] if len(sys.argv) > 2 else "/tmp/shots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

logs = []

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))

    page.goto(f"{BASE}/")
    page.wait_for_selector('[data-testid="flow-table"]')
    page.screenshot(path=f"{OUT}/01-flow-list.png")

    page.goto(f"{BASE}/flows/1")
    page.wait_for_selector('[data-testid="node-n_map"]')
    time.sleep(0.6)
    page.screenshot(path=f"{OUT}/02-editor.png")

    # Select the map node -> mapper tab
    page.click('[data-testid="node-label-n_map"]')
    page.wait_for_selector('[data-testid="mapper"]')
    time.sleep(0.3)
    page.screenshot(path=f"{OUT}/03-mapper-empty.png")

    # Run the flow and watch it live
    page.click('[data-testid="run-button"]')
    page.wait_for_selector('[data-testid="run-dialog"]')
    page.screenshot(path=f"{OUT}/04-run-dialog.png")
    page.click('[data-testid="run-submit"]')
    page.wait_for_selector('[data-testid="node-n_query"][data-status="succeeded"]', timeout=15000)
    page.screenshot(path=f"{OUT}/05-run-live.png")
    page.wait_for_selector('[data-testid="run-bar"][data-status="failed"]', timeout=20000)
    time.sleep(1.0)
    page.screenshot(path=f"{OUT}/06-run-done.png")

    # Mapper with sample from the last run: drag a source onto a target
    page.click('[data-testid="node-label-n_map"]')
    page.click('[data-testid="inspector-tab-mapping"]')
    page.wait_for_selector('[data-testid="mapper-source-Amount"]')
    page.drag_and_drop('[data-testid="mapper-source-Amount"]', '[data-testid="mapper-target-budget"]')
    time.sleep(1.0)
    page.screenshot(path=f"{OUT}/07-mapper-dragged.png")

    # Output inspector of the failed node
    page.click('[data-testid="node-label-n_ws"]')
    page.click('[data-testid="inspector-tab-output"]')
    time.sleep(0.3)
    page.screenshot(path=f"{OUT}/08-output-failed.png")

    # Settings form with expression widget + connection picker
    page.click('[data-testid="node-label-n_query"]')
    page.wait_for_selector('[data-testid="inspector-settings"]')
    time.sleep(1.2)
    page.screenshot(path=f"{OUT}/09-settings.png")

    # Drag from palette onto canvas
    page.drag_and_drop('[data-testid="palette-item-transform.filter"]', '[data-testid="canvas"]', target_position={"x": 400, "y": 520})
    time.sleep(0.4)
    page.screenshot(path=f"{OUT}/10-dropped.png")

    # Invalid connection toast: if.true -> query (cycle)
    src = page.locator('[data-testid="handle-n_if-out-true"]')
    dst = page.locator('[data-testid="handle-n_query-in-main"]')
    src.hover(); page.mouse.down(); dst.hover(); dst.hover(); page.mouse.up()
    time.sleep(0.4)
    page.screenshot(path=f"{OUT}/11-connection-refused.png")

    # Conflict: someone else saves, we edit
    page.request.post(f"{BASE}/__mock/bump/1/")
    page.click('[data-testid="node-label-n_http"]')
    page.fill('[data-testid="inspector-label"]', 'Notify the team')
    page.wait_for_selector('[data-testid="conflict-banner"]', timeout=8000)
    page.screenshot(path=f"{OUT}/12-conflict.png")

    page.keyboard.press("Escape")
    page.click('[data-testid="canvas"]', position={"x": 50, "y": 50})
    page.keyboard.press("?")
    page.wait_for_selector('[data-testid="shortcuts-help"]')
    page.screenshot(path=f"{OUT}/13-shortcuts.png")
    page.keyboard.press("Escape")

    # A switch node: ports follow its rules (x-output-ports)
    page.drag_and_drop('[data-testid="palette-item-logic.switch"]', '[data-testid="canvas"]', target_position={"x": 200, "y": 600})
    page.locator('.rjsf button.btn-add, .rjsf .array-item-add button').first.click()
    page.locator('[data-testid="field-cfg_rules_0_condition-input"]').click()
    page.keyboard.type("{{ $item.Amount > 50000 }}")
    page.locator('#cfg_rules_0_port').fill("big")
    time.sleep(0.8)
    page.screenshot(path=f"{OUT}/13b-switch.png")

    page.goto(f"{BASE}/runs")
    page.wait_for_selector('[data-testid="runs-table"]')
    page.screenshot(path=f"{OUT}/14-runs.png")
    page.goto(f"{BASE}/runs/1")
    page.wait_for_selector('[data-testid="run-detail"]')
    time.sleep(0.5)
    page.click('[data-testid="node-label-n_query"]')
    time.sleep(0.3)
    page.screenshot(path=f"{OUT}/15-run-detail.png")
    browser.close()

print("\n".join(logs) or "no console errors")
