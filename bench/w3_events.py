"""W3: websocket event latency, from a node finishing to a watching browser, while W1 load runs.

Starts PostgreSQL-backed web (uvicorn) and one Celery worker as W1 does, and a local HTTP endpoint that
answers after 30 ms. Eight clients keep calling the W1 chain (webhook, 40 map nodes, wait for the result)
the whole time. Meanwhile a signed-in user starts WATCHED runs of a flow of HTTP request nodes (each calls
the slow endpoint, so the run lasts long enough to be watched live) and follows each on its websocket, as
the run view does. The latency of an event is the time it reaches the client minus its ``at`` (stamped by
the worker when the node finished; one machine, one clock). Events read from the snapshot are not counted.
Ends with: W3 p50_ms=<n> p95_ms=<n>
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402
from bench.w1_chain import CLIENTS, build_flow, call  # noqa: E402

WATCHED = 25  # runs followed live
LOAD_CLIENTS = int(os.environ.get("W3_CLIENTS", str(CLIENTS)))  # W3_CLIENTS=0: the same without load
HTTP_NODES = 8
SLOW_S = 0.03


class _Slow(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # or each keep-alive answer waits ~40 ms for a delayed ACK
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(SLOW_S)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def watched_flow(endpoint: str) -> int:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.tenancy.models import Organisation

    user = get_user_model().objects.get(username="bench")
    nodes = [{"id": "t", "type": "trigger.manual", "label": "t", "position": {"x": 0, "y": 0}, "config": {}}]
    edges, prev = [], "t"
    for i in range(HTTP_NODES):
        nid = f"h{i}"
        nodes.append(
            {
                "id": nid,
                "type": "http.request",
                "label": nid,
                "position": {"x": 200 * (i + 1), "y": 0},
                "config": {"method": "GET", "url": f"{endpoint}/slow/{i}"},
            }
        )
        edges.append(
            {"id": f"e{i}", "source": prev, "source_port": "main", "target": nid, "target_port": "main"}
        )
        prev = nid
    flow = actions.create_flow(
        actor=user,
        organisation=Organisation.objects.get(slug="bench"),
        name="W3 watched",
        document={"schema_version": 1, "nodes": nodes, "edges": edges},
    )
    actions.publish_flow(actor=user, flow=flow)
    return flow.pk


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=10)
    answer = session.post(
        f"{base}/api/auth/login/",
        json={"username": "bench", "password": "bench-pass-1"},
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": f"{base}/"},
        timeout=10,
    )
    answer.raise_for_status()
    return session


def watch_one(base: str, session: requests.Session, flow_id: int) -> list[float]:
    """Start a run, follow it on its websocket until it ends; the latency of each live event, in ms."""
    started = session.post(
        f"{base}/api/flows/{flow_id}/run/",
        json={"input": {"n": 1}},
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": f"{base}/"},
        timeout=30,
    )
    started.raise_for_status()
    run_id = started.json()["id"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    latencies: list[float] = []
    url = base.replace("http://", "ws://") + f"/ws/runs/{run_id}/"
    with connect(url, origin=base, additional_headers={"Cookie": cookie}, open_timeout=10) as ws:  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=30))
            received = time.time()
            if frame.get("type") != "events":
                continue  # the snapshot: what happened before we watched
            for event in frame["events"]:
                if event["type"] == "node.succeeded":
                    latencies.append((received - datetime.fromisoformat(event["at"]).timestamp()) * 1000)
                if event["type"] in ("run.succeeded", "run.failed", "run.cancelled"):
                    if event["type"] != "run.succeeded":
                        raise SystemExit(f"watched run {run_id} ended {event['type']}")
                    return latencies
    raise SystemExit(f"watched run {run_id} did not finish")


def main() -> None:
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{slow.server_port}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = fresh_database("flowbuilder_bench_w3")
    env = bench_env(
        database_url,
        FLOWBUILDER_EGRESS_ALLOWLIST="127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=base,
    )
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow()
    flow_id = watched_flow(endpoint)
    hook = f"{base}/hooks/{token}/?wait=1"
    stop = threading.Event()
    load_calls = [0]

    def load(i: int) -> None:
        session = requests.Session()
        while not stop.is_set():
            call(session, hook, i)
            load_calls[0] += 1

    try:
        with running(env) as procs:
            procs.web(port)
            procs.worker()
            session = sign_in(base)
            watch_one(base, session, flow_id)  # warm-up: connections, caches
            with ThreadPoolExecutor(max(1, LOAD_CLIENTS)) as pool:
                loads = [pool.submit(load, i) for i in range(LOAD_CLIENTS)]
                time.sleep(1.0)  # the load is running before we watch
                latencies: list[float] = []
                t0 = time.perf_counter()
                try:
                    for _ in range(WATCHED):
                        latencies += watch_one(base, session, flow_id)
                finally:
                    stop.set()
                wall = time.perf_counter() - t0
                for f in loads:
                    f.result()
    finally:
        slow.shutdown()
    if len(latencies) < WATCHED * HTTP_NODES // 2:
        raise SystemExit(f"only {len(latencies)} live events seen")
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"{len(latencies)} live node events over {WATCHED} watched runs in {wall:.1f} s, "
        f"during {load_calls[0]} W1 runs from {LOAD_CLIENTS} clients ({load_calls[0] / wall:.1f} runs/s); "
        f"max {max(latencies):.1f} ms"
    )
    print(f"W3 p50_ms={p50:.1f} p95_ms={p95:.1f}")


if __name__ == "__main__":
    main()
