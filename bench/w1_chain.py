"""W1: a 40-node map chain behind a webhook in wait-for-result mode. POST {"n":0} answers {"n":40}.

Starts a PostgreSQL-backed web process (uvicorn) and one Celery worker (thread pool x4; W1_POOL and
W1_CONCURRENCY change it), measures the median latency of 100 sequential calls after 20 to warm up (the
median of 20 moved by several ms between identical runs), then 200 runs from 8 concurrent clients, checks
that every run is durable in the history, and samples peak RSS of web+worker. With W1_PROFILE=1, py-spy
samples both processes during the concurrent phase and a summary of where their time went is printed (raw
stacks are kept in var/bench/).
Ends with: W1 median_ms=<n> runs_per_s=<n> node_exec_per_s=<n> peak_rss_mb=<n>
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, PeakRSS, bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402
from bench.pyspy_summary import summarise  # noqa: E402

CHAIN = 40
WARMUP = 20
SEQUENTIAL = 100
RUNS = 200
CLIENTS = 8
# One worker process; its pool is configurable to compare (prefork children each hold a full Django).
WORKER_POOL = os.environ.get("W1_POOL", "threads")
WORKER_CONCURRENCY = int(os.environ.get("W1_CONCURRENCY", "4"))
PROFILE = os.environ.get("W1_PROFILE") == "1"
# What the profile summary groups samples by (a sample counts for a group when a frame matches).
WORKER_GROUPS = {
    "engine (advance_run)": "advance_run (",
    "  node execution": "Engine._execute (",
    "    JSONata": "jsonata.py",
    "  locked steps (SQL, writes)": "Engine._step (",
    "    node-run insert": "insert_node_runs (",
    "    event COPY": "insert_events (",
    "  commit": "._commit (",
    "run-event publisher thread": "_BackgroundPublisher",
    "heartbeat thread": "heartbeat.py",
}
WEB_GROUPS = {
    "webhook call in the DB thread": "_accept (",
    "  find flow": "find_target (",
    "  start run (insert, commit, enqueue)": "start_run (",
    "  commit": "._commit (",
    "  enqueue to Celery": "advance_run (flowbuilder/execution/dispatch.py",
    "waiter hub": "waiters.py",
    "run-event publisher thread": "_BackgroundPublisher",
    "uvicorn HTTP": "httptools_impl",
}


def build_flow() -> str:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.tenancy.models import Membership, Organisation

    org = Organisation.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("bench", password="bench-pass-1")
    Membership.objects.create(user=user, organisation=org, role="admin")
    nodes = [
        {
            "id": "hook",
            "type": "trigger.webhook",
            "label": "hook",
            "position": {"x": 0, "y": 0},
            "config": {"response_mode": "last_node"},
        }
    ]
    edges = []
    prev = "hook"
    for i in range(CHAIN):
        nid = f"inc{i}"
        nodes.append(
            {
                "id": nid,
                "type": "transform.map",
                "label": nid,
                "position": {"x": 200 * (i + 1), "y": 0},
                "config": {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]},
            }
        )
        edges.append(
            {"id": f"e{i}", "source": prev, "source_port": "main", "target": nid, "target_port": "main"}
        )
        prev = nid
    flow = actions.create_flow(
        actor=user,
        organisation=org,
        name="W1 chain",
        document={"schema_version": 1, "nodes": nodes, "edges": edges},
    )
    actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow.webhook_token


def call(session: requests.Session, url: str, n: int = 0) -> float:
    t0 = time.perf_counter()
    response = session.post(url, json={"n": n}, timeout=30)
    elapsed = (time.perf_counter() - t0) * 1000
    if response.status_code != 200 or response.json() != {"n": n + CHAIN}:
        raise SystemExit(f"wrong answer: {response.status_code} {response.text[:200]}")
    return elapsed


PROFILE_DIR = ROOT / "var" / "bench"


def breakdown(run_model: Any, latencies: list[float]) -> str:
    """Where a sequential call's time goes, from the stored timestamps of those 20 runs."""
    rows = list(
        run_model.objects.order_by("pk").values_list("created_at", "started_at", "finished_at")[
            WARMUP : WARMUP + SEQUENTIAL
        ]
    )
    queued = statistics.median((s - c).total_seconds() * 1000 for c, s, _ in rows)
    engine = statistics.median((f - s).total_seconds() * 1000 for _, s, f in rows)
    rest = statistics.median(latencies) - queued - engine
    return (
        f"per call: web accept to worker start {queued:.1f} ms, engine {engine:.1f} ms, "
        f"web in/out and result hand-back {rest:.1f} ms"
    )


def start_py_spy(name: str, pid: int) -> subprocess.Popen:
    """Sample a process (and its threads) at 250 Hz until interrupted; raw stacks for pyspy_summary."""
    py_spy = Path(sys.executable).parent / "py-spy"
    out = PROFILE_DIR / f"{name}.txt"
    return subprocess.Popen(
        [str(py_spy), "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    database_url = fresh_database("flowbuilder_bench_w1")
    env = bench_env(database_url)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/{token}/?wait=1"
    with running(env) as procs:
        procs.web(port)
        procs.worker(concurrency=WORKER_CONCURRENCY, pool=WORKER_POOL)
        with PeakRSS([p.pid for p in procs.procs.values()]) as rss:
            session = requests.Session()
            for _ in range(WARMUP):
                call(session, url)
            latencies = [call(session, url, i) for i in range(SEQUENTIAL)]
            sessions = [requests.Session() for _ in range(CLIENTS)]
            spies = (
                [start_py_spy(f"w1-{name}", proc.pid) for name, proc in procs.procs.items()]
                if PROFILE
                else []
            )
            t0 = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(lambda i: call(sessions[i % CLIENTS], url, i), range(RUNS)))
            wall = time.perf_counter() - t0
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
                spy.wait(timeout=30)
    from flowbuilder.execution.models import NodeRun, Run

    runs = Run.objects.filter(status="succeeded").count()
    node_runs = NodeRun.objects.filter(status="succeeded").count()
    expected = WARMUP + SEQUENTIAL + RUNS
    if runs != expected or node_runs != expected * (CHAIN + 1):
        raise SystemExit(
            f"not durable: {runs}/{expected} runs, {node_runs}/{expected * (CHAIN + 1)} node runs"
        )
    runs_per_s = RUNS / wall
    print(breakdown(Run, latencies))
    p50, p90 = statistics.median(latencies), statistics.quantiles(latencies, n=10)[-1]
    print(
        f"latency p50={p50:.1f} ms p90={p90:.1f} ms; {RUNS} runs from {CLIENTS} clients in {wall:.2f} s"
        f" (worker pool {WORKER_POOL} x{WORKER_CONCURRENCY})"
    )
    print(f"durable: all {runs} runs and {node_runs} node runs stored")
    if PROFILE:
        print(summarise(PROFILE_DIR / "w1-worker.txt", WORKER_GROUPS))
        print(summarise(PROFILE_DIR / "w1-web.txt", WEB_GROUPS))
    print(
        f"W1 median_ms={statistics.median(latencies):.1f} runs_per_s={runs_per_s:.1f} "
        f"node_exec_per_s={runs_per_s * CHAIN:.0f} peak_rss_mb={rss.peak:.0f}"
    )


if __name__ == "__main__":
    main()
