"""Dev helper: sign in to a running Flowbuilder and take 1280x800 screenshots of the main pages.

Start the product first (``make run`` serves it on http://127.0.0.1:8000 with the demo tenant), then:

    .venv/bin/python frontend/dev/screenshots.py [--base URL] [--user NAME] [--out DIR]

The password defaults to the demo's (fixtures/demo.json); the screenshots go to test-artifacts/screenshots/
of this repository. Chromium is Debian's (/usr/bin/chromium, ``make chromium``). Console errors are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# (file name, the links to click from the flow list, a data-testid the page shows once loaded). Pages are
# reached through the app's own navigation, as a user does.
PAGES = [
    ("01-flows", [], "flow-list"),
    ("02-runs", ["nav-runs"], "runs-page"),
    ("03-connections", ["nav-connections"], "connections-page"),
    ("04-triggers", ["nav-triggers"], "triggers-page"),
    ("05-partner-customers", ["nav-partner"], "partner-customers"),
    ("06-partner-templates", ["nav-partner", "partner-tab-templates"], "partner-templates"),
    ("07-partner-branding", ["nav-partner", "partner-tab-branding"], "partner-branding"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="partner")
    parser.add_argument(
        "--password", default=json.loads((ROOT / "fixtures" / "demo.json").read_text())["password"]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "screenshots")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    logs: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.on("console", lambda m: logs.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
        signed_in = page.request.post(
            f"{opts.base}/api/auth/login/", data={"username": opts.user, "password": opts.password}
        )
        if not signed_in.ok:
            raise SystemExit(f"sign-in as {opts.user} failed ({signed_in.status}): {signed_in.text()[:200]}")
        for name, clicks, testid in PAGES:
            shoot(page, opts.base, clicks, testid, opts.out / f"{name}.png")
        page.goto(f"{opts.base}/")
        page.wait_for_selector('[data-testid="flow-table"], [data-testid="empty-state"]')
        first_flow = page.locator('[data-testid^="flow-row-"] a').first
        if first_flow.count():
            first_flow.click()
            page.wait_for_selector('[data-testid="editor"]')
            time.sleep(0.8)
            page.screenshot(path=str(opts.out / "08-editor.png"))
        page.goto(f"{opts.base}/runs")
        page.wait_for_selector('[data-testid="runs-table"], [data-testid="empty-state"]')
        first_run = page.locator('[data-testid^="run-row-"] a').first
        if first_run.count():
            first_run.click()
            page.wait_for_selector('[data-testid="run-detail"]')
            time.sleep(0.5)
            page.screenshot(path=str(opts.out / "09-run-detail.png"))
        browser.close()
    sys.stdout.write(f"screenshots in {opts.out}\n")
    sys.stdout.write(("\n".join(logs) or "no console errors") + "\n")


def shoot(page: Page, base: str, clicks: list[str], testid: str, path: Path) -> None:
    page.goto(f"{base}/")
    for link in clicks:
        page.get_by_test_id(link).click()
    page.wait_for_selector(f'[data-testid="{testid}"]')
    page.wait_for_load_state("networkidle")
    time.sleep(0.3)
    page.screenshot(path=str(path))


if __name__ == "__main__":
    main()
