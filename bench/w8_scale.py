"""W8: W1 throughput with 1, 2 and 4 worker processes, CPU per run, and fair sharing during a flood.

Starts a PostgreSQL-backed web process (uvicorn) and N Celery worker processes (thread pool x4 each), sends
W1 runs (a 40-node map chain behind a webhook, wait-for-result) from 8 clients and reports runs/s for each
N, the machine's CPU use, and runs per CPU-second of web + workers (on 2 cores a second worker buys little
because the machine saturates: runs per CPU-second shows the cost is per run, not per process).

Fair share: with 2 workers, organisation A floods W8_FLOOD runs (202 without waiting; beyond its share they
wait queued in the database), then organisation B sends one run and waits for its result; its latency is
``other_org_wait_ms`` (goal: at most 2 s).
Ends with: W8 workers1=<n> workers2=<n> workers4=<n> runs_per_cpu_s=<n> other_org_wait_ms=<n>
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import bench_env, free_port, fresh_database, manage, running, setup_django, tree_cpu_s  # noqa: E402
from bench.w1_chain import CHAIN, CLIENTS, call  # noqa: E402

RUNS = int(os.environ.get("W8_RUNS", "240"))
FLOOD = int(os.environ.get("W8_FLOOD", "3000"))
WORKER_COUNTS = (1, 2, 4)


def build_flows() -> tuple[str, str, str]:
    """The W1 chain for organisation A (waiting and answering 202 at once) and B; their webhook tokens."""
    from django.contrib.auth import get_user_model

    from bench.w1_chain import build_flow
    from flowbuilder.flows import actions
    from flowbuilder.flows.models import Flow
    from flowbuilder.tenancy.models import Membership, Organisation

    token_a = build_flow()  # organisation "Bench"
    source = Flow.objects.get(webhook_token=token_a)
    org_b = Organisation.objects.create(name="Other", slug="other")
    user_b = get_user_model().objects.create_user("other", password="bench-pass-1")
    Membership.objects.create(user=user_b, organisation=org_b, role="admin")
    flow_b = actions.create_flow(
        actor=user_b, organisation=org_b, name="W1 B", document=source.draft_document
    )
    actions.publish_flow(actor=user_b, flow=flow_b)
    flow_b.refresh_from_db()
    # The flood's flow answers 202 at once (no response_mode): its runs pile up as a backlog.
    doc = {**source.draft_document, "nodes": [dict(n) for n in source.draft_document["nodes"]]}
    doc["nodes"][0] = {**doc["nodes"][0], "config": {}}
    user_a = source.created_by
    flood = actions.create_flow(actor=user_a, organisation=source.organisation, name="W1 flood", document=doc)
    actions.publish_flow(actor=user_a, flow=flood)
    flood.refresh_from_db()
    return token_a, flood.webhook_token, flow_b.webhook_token


def throughput(port: int, token: str) -> float:
    url = f"http://127.0.0.1:{port}/hooks/{token}/?wait=1"
    sessions = [requests.Session() for _ in range(CLIENTS)]
    for s in sessions:
        call(s, url)  # warm every connection and worker thread
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda i: call(sessions[i % CLIENTS], url, i), range(RUNS)))
    return RUNS / (time.perf_counter() - t0)


def flood_then_other(port: int, token_a: str, token_b: str) -> float:
    flood_url = f"http://127.0.0.1:{port}/hooks/{token_a}/"
    sessions = [requests.Session() for _ in range(CLIENTS)]

    def fire(i: int) -> None:
        answer = sessions[i % CLIENTS].post(flood_url, json={"n": i}, timeout=30)
        if answer.status_code != 202:
            raise SystemExit(f"flood call answered {answer.status_code}: {answer.text[:200]}")

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(fire, range(FLOOD)))
    waits = []
    other = requests.Session()
    for i in range(5):  # while A's backlog is still being worked off
        waits.append(call(other, f"http://127.0.0.1:{port}/hooks/{token_b}/?wait=1", i))
        time.sleep(0.2)
    return statistics.median(waits)


def backlog_left() -> int:
    from flowbuilder.execution.models import Run

    return Run.objects.filter(status__in=["queued", "running"]).count()


def main() -> None:
    database_url = fresh_database("flowbuilder_bench_w8")
    env = bench_env(database_url)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token_a, token_flood, token_b = build_flows()
    port = free_port()
    results: dict[int, float] = {}
    cpu_per_run: list[float] = []
    with running(env) as procs:
        procs.web(port)
        started = 0
        for count in WORKER_COUNTS:
            while started < count:
                started += 1
                procs.worker(concurrency=4, pool="threads", name=f"worker{started}")
            pids = [p.pid for p in procs.procs.values()]
            cpu0, t0 = tree_cpu_s(pids), time.perf_counter()
            results[count] = throughput(port, token_a)
            cpu, wall = tree_cpu_s(pids) - cpu0, time.perf_counter() - t0
            cpu_per_run.append(cpu / (RUNS + CLIENTS))
            print(
                f"{count} worker process(es): {results[count]:.1f} runs/s, machine CPU "
                f"{100 * cpu / wall / os.cpu_count():.0f}% of {os.cpu_count()} cores, "
                f"{1000 * cpu / (RUNS + CLIENTS):.1f} ms CPU per run (web + workers)"
            )
        for name in [n for n in procs.procs if n.startswith("worker")][2:]:
            procs.procs[name].terminate()  # the fair-share phase runs with 2 workers
        wait_ms = flood_then_other(port, token_flood, token_b)
        print(f"flood: {FLOOD} runs of A; B answered in {wait_ms:.0f} ms; {backlog_left()} of A still active")
    runs_per_cpu_s = 1 / statistics.median(cpu_per_run)
    print(
        f"W8 workers1={results[1]:.1f} workers2={results[2]:.1f} workers4={results[4]:.1f} "
        f"runs_per_cpu_s={runs_per_cpu_s:.1f} other_org_wait_ms={wait_ms:.0f}"
    )
    print(f"(node executions per run: {CHAIN}; runs per CPU-second counts web + workers)")


if __name__ == "__main__":
    main()
