"""EDITOR: open a 500-node flow in headless Chromium and drag a node.

Starts its own PostgreSQL database, migrates it, creates a 500-node flow (a manual trigger and 499 map
nodes in a 25-column grid, chained), serves it with the ASGI app (uvicorn) and drives Debian's Chromium
with Playwright:

* open_ms: from navigation start (performance.now() = 0) to the first animation frame in which all 500
  nodes are in the DOM and measured (React Flow keeps nodes hidden until it has their size);
* drag_fps: requestAnimationFrame callbacks per second while the mouse drags one node for ~2 s.

* template_open_ms: the largest lifecycle template (fixtures/templates, 35 nodes) from navigation start
  to the frame where the canvas has opened it at a readable zoom (data-viewport="ready", zoom >= 0.5:
  fitted with a floor, on the trigger), with a warm HTTP cache like open_ms.

Needs the built editor (make frontend). Prints one final line:
EDITOR nodes=500 open_ms=<n> drag_fps=<n> template_open_ms=<n>
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402

NODES = 500
COLUMNS = 25
DRAG_S = 2.0
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERNAME, PASSWORD = "bench", "bench-pass-1"

# Resolves with performance.now() in the first frame where every node is rendered and measured.
ALL_RENDERED = """(n) => new Promise((resolve) => {
  const check = () => {
    const nodes = document.querySelectorAll('.react-flow__node');
    if (nodes.length >= n) {
      let visible = 0;
      for (const el of nodes) if (el.style.visibility !== 'hidden' && el.offsetWidth > 0) visible++;
      if (visible >= n) return resolve(performance.now());
    }
    requestAnimationFrame(check);
  };
  check();
})"""

# Resolves with performance.now() once the canvas opened the flow at a readable zoom.
READABLE_OPEN = """() => new Promise((resolve, reject) => {
  const check = () => {
    const el = document.querySelector('[data-testid=canvas][data-viewport=ready]');
    if (el) {
      const zoom = Number(el.getAttribute('data-zoom'));
      return zoom >= 0.5 ? resolve(performance.now()) : reject(new Error(`opened at zoom ${zoom}`));
    }
    requestAnimationFrame(check);
  };
  check();
})"""

START_FRAMES = """(observe) => {
  window.__fbMut = {};
  window.__fbObs = new MutationObserver((ms) => { for (const m of ms) {
    const cls = typeof m.target.className === 'string' ? m.target.className.split(' ')[0] : m.target.nodeName;
    const k = `${m.type}:${m.attributeName || ''}:${cls}`;
    window.__fbMut[k] = (window.__fbMut[k] || 0) + 1; } });
  if (observe) window.__fbObs.observe(document.body, { subtree: true, attributes: true, childList: true });
  window.__fbFrames = 0;
  window.__fbCounting = true;
  const tick = () => { if (!window.__fbCounting) return; window.__fbFrames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__fbStart = performance.now();
}"""

STOP_FRAMES = """() => {
  window.__fbCounting = false;
  window.__fbObs.disconnect();
  return { frames: window.__fbFrames, ms: performance.now() - window.__fbStart, mut: window.__fbMut };
}"""


def build_template_flow() -> int:
    """The largest lifecycle template as a draft of the bench user's organisation."""
    import json

    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions

    user = get_user_model().objects.get(username=USERNAME)
    templates = [json.loads(p.read_text()) for p in sorted((ROOT / "fixtures" / "templates").glob("*.json"))]
    largest = max(templates, key=lambda t: len(t["document"]["nodes"]))
    org = user.memberships.first().organisation
    return actions.create_flow(
        actor=user, organisation=org, name=largest["name"], document=largest["document"]
    ).pk


def build_flow() -> int:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.tenancy.models import Membership, Organisation

    org = Organisation.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role="admin")
    nodes = [
        {"id": "t", "type": "trigger.manual", "label": "Start", "position": {"x": 0, "y": 0}, "config": {}}
    ]
    for i in range(1, NODES):
        nodes.append(
            {
                "id": f"m{i}",
                "type": "transform.map",
                "label": f"Map {i}",
                "position": {"x": (i % COLUMNS) * 280, "y": (i // COLUMNS) * 120},
                "config": {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]},
            }
        )
    edges = [
        {
            "id": f"e{i}",
            "source": nodes[i - 1]["id"],
            "source_port": "main",
            "target": nodes[i]["id"],
            "target_port": "main",
        }
        for i in range(1, NODES)
    ]
    document = {"schema_version": 1, "nodes": nodes, "edges": edges}
    flow = actions.create_flow(actor=user, organisation=org, name="Editor 500", document=document)
    return flow.pk


def print_profile(profile: dict) -> None:
    """BENCH_PROFILE=1: the 25 functions with the most self time during the drag (build unminified)."""
    from collections import Counter

    nodes = {n["id"]: n for n in profile["nodes"]}
    interval = (profile["endTime"] - profile["startTime"]) / max(1, len(profile["samples"])) / 1000
    self_ms: Counter[str] = Counter()
    for sample in profile["samples"]:
        frame = nodes[sample]["callFrame"]
        name = f"{frame['functionName'] or '(anon)'} {frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber']}"
        self_ms[name] += interval
    for name, ms in self_ms.most_common(25):
        print(f"  {ms:8.1f} ms  {name}", file=sys.stderr)


def print_trace(raw: bytes) -> None:
    """BENCH_TRACE=1: total duration per trace event name on the renderer's main thread."""
    import json
    from collections import Counter

    events = json.loads(raw)["traceEvents"]
    main = {
        e["tid"]
        for e in events
        if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"
    }
    total: Counter[str] = Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("tid") in main:
            total[e["name"]] += e.get("dur", 0) / 1000
    for name, ms in total.most_common(20):
        print(f"  {ms:8.1f} ms  {name}", file=sys.stderr)


def measure(base_url: str, flow_id: int, template_id: int) -> tuple[int, int, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(f"{base_url}/login/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("[data-testid=login-submit]")
            page.wait_for_selector("[data-testid=flow-list]")
            # Warm the HTTP cache once (the lazy editor chunk), as an analyst's second visit would.
            page.goto(f"{base_url}/flows/{flow_id}")
            page.evaluate(ALL_RENDERED, NODES)

            page.goto(f"{base_url}/flows/{flow_id}")
            open_ms = page.evaluate(ALL_RENDERED, NODES)
            page.wait_for_timeout(300)  # let fitView and the minimap settle

            box = page.locator("[data-testid=node-m263]").bounding_box()
            if box is None:
                raise RuntimeError("node m263 is not on screen")
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            cdp = None
            if os.environ.get("BENCH_PROFILE"):
                cdp = context.new_cdp_session(page)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.start")
            if os.environ.get("BENCH_TRACE"):
                categories = ["devtools.timeline", "disabled-by-default-devtools.timeline"]
                browser.start_tracing(page=page, categories=categories)
            page.evaluate(START_FRAMES, cdp is not None)
            started = time.monotonic()
            step = 0
            while time.monotonic() - started < DRAG_S:
                step += 1
                page.mouse.move(x + (step % 60) * 3, y + (step % 40) * 2)
            result = page.evaluate(STOP_FRAMES)
            if os.environ.get("BENCH_TRACE"):
                print_trace(browser.stop_tracing())
            if cdp is not None:
                print(f"  {step} mouse moves in {result['ms']:.0f} ms", file=sys.stderr)
                top = sorted(result["mut"].items(), key=lambda kv: -kv[1])[:15]
                print(f"  DOM mutations: {top}", file=sys.stderr)
                print_profile(cdp.send("Profiler.stop")["profile"])
            page.mouse.up()
            drag_fps = result["frames"] * 1000 / result["ms"]

            page.goto(f"{base_url}/flows/{template_id}")
            page.evaluate(READABLE_OPEN)  # warm
            page.goto(f"{base_url}/flows/{template_id}")
            template_open_ms = page.evaluate(READABLE_OPEN)
            return round(open_ms), round(drag_fps), round(template_open_ms)
        finally:
            browser.close()


def main() -> None:
    if not (ROOT / "static" / "app" / ".vite" / "manifest.json").exists():
        sys.exit("the editor is not built: run make frontend")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = bench_env(
        fresh_database("bench_editor_500"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=origin,
        FLOWBUILDER_PUBLIC_URL=origin,
    )
    manage(env, "migrate", "--noinput")
    setup_django(env)
    flow_id = build_flow()
    template_id = build_template_flow()
    with running(env) as procs:
        procs.web(port)
        open_ms, drag_fps, template_open_ms = measure(origin, flow_id, template_id)
    print(f"EDITOR nodes={NODES} open_ms={open_ms} drag_fps={drag_fps} template_open_ms={template_open_ms}")


if __name__ == "__main__":
    main()
