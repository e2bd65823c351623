"""W7: 100,000 records through the W2 shape, the source paged.

The flow: webhook -> GET the accounts page by page (the HTTP request node's next-page-link pagination,
5,000 per page) -> map each to {external_id, display_name, contact_email, region, annual_revenue_usd}
-> keep revenue > 0 -> split into batches of 1,000 -> POST each batch to a sink. Both endpoints are a
stdlib HTTP server in this process. Starts PostgreSQL-backed web and one Celery worker (bench/harness.py),
runs the flow once (wait-for-result), samples the peak RSS of web + worker (their process trees), checks
that the sink received every expected record exactly once, and ends with:
W7 records=<n> seconds=<n> peak_rss_mb=<n> received=<n> expected=<n>
(goal: under 20 s, peak RSS under 400 MB). W7_PAGE=0 sends the records as one response instead of pages.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import PeakRSS, bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402
from bench.w2_sync import COUNTRIES  # noqa: E402

RECORDS = int(os.environ.get("W7_RECORDS", "100000"))
# Records per page; W7_PAGE=0 answers every record in ONE response (about 15 MB), no pagination.
PAGE = int(os.environ.get("W7_PAGE", "5000")) or RECORDS
BATCH = 1000


def account(i: int) -> dict[str, Any]:
    return {
        "id": f"A-{i:06d}",
        "name": f"Account {i}",
        "email": f"billing{i}@example.com",
        "country": COUNTRIES[i % len(COUNTRIES)],
        "revenue": 0 if i % 20 == 0 else 1000 + i,
        "owner": {"id": i % 17, "name": f"Owner {i % 17}"},
    }


class Endpoints:
    """GET /accounts?offset= answers one page and a next link; POST /sink counts what arrives."""

    def __init__(self) -> None:
        self.received: dict[str, int] = {}
        self.total = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                offset = int(parse_qs(urlsplit(self.path).query).get("offset", ["0"])[0])
                page = [account(i) for i in range(offset, min(offset + PAGE, RECORDS))]
                following = f"/accounts?offset={offset + PAGE}" if offset + PAGE < RECORDS else None
                self._answer(json.dumps({"accounts": page, "next": following}).encode())

            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with outer.lock:
                    for record in data.get("records") or []:
                        key = record["external_id"]
                        outer.received[key] = outer.received.get(key, 0) + 1
                        outer.total += 1
                self._answer(b'{"accepted": true}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build_flow(port: int) -> str:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.tenancy.models import Membership, Organisation

    org = Organisation.objects.create(name="Bench", slug="bench", egress_allowlist=["127.0.0.1"])
    user = get_user_model().objects.create_user("bench", password="bench-pass-1")
    Membership.objects.create(user=user, organisation=org, role="admin")
    base = f"http://127.0.0.1:{port}"

    def n(node_id: str, type_: str, config: dict[str, Any], x: int) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": type_,
            "label": node_id,
            "position": {"x": x, "y": 0},
            "config": config,
        }

    paging = (
        {"mode": "next_url", "next_path": "next", "max_pages": 1000} if PAGE < RECORDS else {"mode": "none"}
    )
    fields = [
        {"name": "external_id", "value": "{{ $item.id }}"},
        {"name": "display_name", "value": "{{ $item.name }}"},
        {"name": "contact_email", "value": "{{ $item.email }}"},
        {"name": "region", "value": "{{ $uppercase($item.country) }}"},
        {"name": "annual_revenue_usd", "value": "{{ $item.revenue }}"},
    ]
    nodes = [
        n("hook", "trigger.webhook", {"response_mode": "last_node"}, 0),
        n(
            "fetch",
            "http.request",
            {"method": "GET", "url": f"{base}/accounts", "items_path": "accounts", "pagination": paging},
            200,
        ),
        n("map", "transform.map", {"keep_other_fields": False, "fields": fields}, 400),
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
        name="W7 large",
        document={"schema_version": 1, "nodes": nodes, "edges": edges},
    )
    actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow.webhook_token


def main() -> None:
    expected = sum(1 for i in range(RECORDS) if i % 20 != 0)
    endpoints = Endpoints()
    env = bench_env(fresh_database("flowbuilder_bench_w7"), FLOWBUILDER_WEBHOOK_WAIT_S="300")
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow(endpoints.port)
    port = free_port()
    answer = ""
    try:
        with running(env) as procs:
            procs.web(port)
            procs.worker(concurrency=1, pool="threads")
            pids = [p.pid for p in procs.procs.values()]
            with PeakRSS(pids) as peak:
                t0 = time.perf_counter()
                response = requests.post(
                    f"http://127.0.0.1:{port}/hooks/{token}/?wait=1", json={}, timeout=900
                )
                seconds = time.perf_counter() - t0
            answer = f"{response.status_code} {response.text[:200]}"
    finally:
        endpoints.close()
    doubled = sum(1 for count in endpoints.received.values() if count > 1)
    print(f"webhook answered: {answer}; records received twice: {doubled}")
    print(
        f"W7 records={RECORDS} seconds={seconds:.1f} peak_rss_mb={peak.peak:.0f} "
        f"received={len(endpoints.received)} expected={expected}"
    )


if __name__ == "__main__":
    main()
