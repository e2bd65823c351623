"""W2: a 1,000-record sync behind a webhook in wait-for-result mode.

The flow: webhook -> GET 1,000 accounts from a local endpoint -> map each to {external_id, display_name,
contact_email, region (country upper-cased), annual_revenue_usd} -> keep revenue > 0 -> split into
batches of 100 -> POST each batch to a second local endpoint. Both endpoints are a stdlib HTTP server in
this process that answers at once, so the figure is the platform's own cost.

Starts PostgreSQL-backed web and one Celery worker (bench/harness.py), warms up, measures the median of
sequential calls, checks that every measured run delivered exactly the expected records (once each), and
ends with: W2 records=1000 median_ms=<n> received=<n> expected=<n>
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402

RECORDS = 1000
BATCH = 100
WARMUP = 3
RUNS = 10
COUNTRIES = ["gb", "us", "de", "fr", "nl", "ie", "es", "au"]


def accounts() -> list[dict[str, Any]]:
    """Every 20th account has no revenue (filtered out)."""
    return [
        {
            "id": f"A-{i:05d}",
            "name": f"Account {i}",
            "email": f"billing{i}@example.com",
            "country": COUNTRIES[i % len(COUNTRIES)],
            "revenue": 0 if i % 20 == 0 else 1000 + i,
            "owner": {"id": i % 17, "name": f"Owner {i % 17}"},
        }
        for i in range(RECORDS)
    ]


def expected_records(source: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "external_id": a["id"],
            "display_name": a["name"],
            "contact_email": a["email"],
            "region": a["country"].upper(),
            "annual_revenue_usd": a["revenue"],
        }
        for a in source
        if a["revenue"] > 0
    ]


class Endpoints:
    """GET /accounts answers the source list; POST /sink records each batch under its run id."""

    def __init__(self, source: list[dict[str, Any]]) -> None:
        self.body = json.dumps({"accounts": source}).encode()
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Like any production server: without it, keep-alive responses stall ~40 ms on delayed ACKs.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer(200, outer.body if self.path.startswith("/accounts") else b"{}")

            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                # Idempotency-Key is fb-<run>-<node>-<item>: one key per batch, stable on retries.
                key = self.headers.get("Idempotency-Key", "")
                run_id = key.split("-")[1] if key.count("-") >= 3 else "?"
                with outer.lock:
                    outer.received[run_id].extend(data.get("records") or [])
                self._answer(200, json.dumps({"accepted": len(data.get("records") or [])}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build_flow(source_port: int) -> str:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.tenancy.models import Membership, Organisation

    org = Organisation.objects.create(name="Bench", slug="bench", egress_allowlist=["127.0.0.1"])
    user = get_user_model().objects.create_user("bench", password="bench-pass-1")
    Membership.objects.create(user=user, organisation=org, role="admin")
    base = f"http://127.0.0.1:{source_port}"

    def n(node_id: str, type_: str, config: dict[str, Any], x: int) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": type_,
            "label": node_id,
            "position": {"x": x, "y": 0},
            "config": config,
        }

    nodes = [
        n("hook", "trigger.webhook", {"response_mode": "last_node"}, 0),
        n(
            "fetch",
            "http.request",
            {"method": "GET", "url": f"{base}/accounts", "items_path": "accounts"},
            200,
        ),
        n(
            "map",
            "transform.map",
            {
                "keep_other_fields": False,
                "fields": [
                    {"name": "external_id", "value": "{{ $item.id }}"},
                    {"name": "display_name", "value": "{{ $item.name }}"},
                    {"name": "contact_email", "value": "{{ $item.email }}"},
                    {"name": "region", "value": "{{ $uppercase($item.country) }}"},
                    {"name": "annual_revenue_usd", "value": "{{ $item.revenue }}"},
                ],
            },
            400,
        ),
        n("paying", "transform.filter", {"condition": "$item.annual_revenue_usd > 0"}, 600),
        n("batches", "transform.split_batches", {"batch_size": BATCH}, 800),
        n(
            "post",
            "http.request",
            {"method": "POST", "url": f"{base}/sink", "body": {"records": "{{ $item.batch }}"}},
            1000,
        ),
    ]
    order = [x["id"] for x in nodes]
    edges = [
        {"id": f"e{i}", "source": a, "source_port": "main", "target": b, "target_port": "main"}
        for i, (a, b) in enumerate(zip(order, order[1:], strict=False))
    ]
    flow = actions.create_flow(
        actor=user,
        organisation=org,
        name="W2 sync",
        document={"schema_version": 1, "nodes": nodes, "edges": edges},
    )
    actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow.webhook_token


def call(session: requests.Session, url: str) -> float:
    t0 = time.perf_counter()
    response = session.post(url, json={}, timeout=60)
    elapsed = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise SystemExit(f"wrong answer: {response.status_code} {response.text[:300]}")
    return elapsed


def main() -> None:
    source = accounts()
    expected = expected_records(source)
    endpoints = Endpoints(source)
    database_url = fresh_database("flowbuilder_bench_w2")
    env = bench_env(database_url)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow(endpoints.port)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/{token}/?wait=1"
    try:
        with running(env) as procs:
            procs.web(port)
            procs.worker(concurrency=2)
            session = requests.Session()
            for _ in range(WARMUP):
                call(session, url)
            warm = set(endpoints.received)
            latencies = [call(session, url) for _ in range(RUNS)]
    finally:
        endpoints.close()

    from flowbuilder.execution.models import Run

    measured = {k: v for k, v in endpoints.received.items() if k not in warm}
    want = sorted(json.dumps(r, sort_keys=True) for r in expected)
    for run_id, records in measured.items():
        got = sorted(json.dumps(r, sort_keys=True) for r in records)
        if got != want:
            raise SystemExit(
                f"run {run_id}: endpoint received {len(got)} records, not the expected {len(want)}"
            )
    if len(measured) != RUNS or Run.objects.filter(status="succeeded").count() != WARMUP + RUNS:
        raise SystemExit(f"expected {RUNS} measured runs, the endpoint saw {len(measured)}")
    received = len(next(iter(measured.values())))
    p50 = statistics.median(latencies)
    print(f"latencies ms: {', '.join(f'{x:.0f}' for x in latencies)}")
    print(f"W2 records={RECORDS} median_ms={p50:.0f} received={received} expected={len(expected)}")


if __name__ == "__main__":
    main()
