"""W4: 50 signed-in users browsing flows, runs and run detail through the API at once.

Starts PostgreSQL-backed web (uvicorn) and one Celery worker as W1 does, fills the history with real runs
(the W1 chain, 41 node runs each, through the webhook), adds flows to list, then 50 users (each their own
session, all members of the organisation) browse for a fixed time as the SPA does: the flow list, a flow,
the run list, a run's detail with its node runs, the run list of a flow. A person reads what a page shows
before the next click: each user waits W4_THINK_S (default 1 s) after each answer; W4_THINK_S=0 makes it a
closed-loop stress test instead. Every answer must be 200. With W4_PROFILE=1, py-spy samples the web
process while the users browse and a summary of where its time went is printed.
Ends with: W4 rps=<n> p95_ms=<n> errors=<n>
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402
from bench.pyspy_summary import summarise  # noqa: E402
from bench.w1_chain import PROFILE_DIR, build_flow, call, start_py_spy  # noqa: E402

USERS = 50
SECONDS = float(os.environ.get("W4_SECONDS", "20"))
THINK_S = float(os.environ.get("W4_THINK_S", "1.0"))
HISTORY_RUNS = 300
EXTRA_FLOWS = 60
PASSWORD = "bench-pass-1"
PROFILE = os.environ.get("W4_PROFILE") == "1"
# What the profile summary groups the web process's samples by (inclusive: a frame in the stack).
WEB_GROUPS = {
    "request in Django (sync thread)": "get_response (",
    "  middleware before the view": "_get_response (",
    "  session and user load": "_get_session (",
    "  DRF view (dispatch)": "dispatch (rest_framework/views.py",
    "    permission and scoping": "check_permissions (",
    "    queryset SQL": "execute_sql (",
    "    serialisation": "to_representation (",
    "    JSON render": "render (rest_framework/renderers.py",
    "  SQL execute (all)": "_execute_send (",
    "ASGI adapter and thread hops": "sync_to_async",
    "uvicorn HTTP": "httptools_impl",
}


def more_flows_and_users() -> None:
    from django.contrib.auth import get_user_model

    from flowbuilder.flows import actions
    from flowbuilder.flows.models import Flow
    from flowbuilder.tenancy.models import Membership, Organisation

    org = Organisation.objects.get(slug="bench")
    owner = get_user_model().objects.get(username="bench")
    template = Flow.objects.get(organisation=org).published_version.document
    for i in range(EXTRA_FLOWS):
        flow = actions.create_flow(actor=owner, organisation=org, name=f"Flow {i:03d}", document=template)
        if i % 2:
            actions.publish_flow(actor=owner, flow=flow)
    for i in range(USERS):
        user = get_user_model().objects.create_user(f"browser{i}", password=PASSWORD)
        Membership.objects.create(user=user, organisation=org, role="viewer" if i % 2 else "builder")


def sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    answer = session.post(
        f"{base}/api/auth/login/",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": f"{base}/"},
        timeout=30,
    )
    answer.raise_for_status()
    return session


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def get(self, session: requests.Session, base: str, name: str, path: str) -> dict | list | None:
        time.sleep(THINK_S * random.uniform(0.5, 1.5))  # noqa: S311 - reading the page, not security
        t0 = time.perf_counter()
        try:
            response = session.get(f"{base}{path}", timeout=30)
        except requests.RequestException as exc:
            with self.lock:
                self.errors.append(f"{name}: {exc}")
            return None
        elapsed = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.latencies.setdefault(name, []).append(elapsed)
            if response.status_code != 200:
                self.errors.append(f"{name} {path}: {response.status_code}")
                return None
        return response.json()


def browse(base: str, session: requests.Session, tally: Tally, until: float, seed: int) -> None:
    """One user: lists and details, in the order the SPA loads them, until the time is up."""
    rng = random.Random(seed)  # noqa: S311 - which row to open, not security
    while time.monotonic() < until:
        flows = tally.get(session, base, "flows", "/api/flows/?limit=50")
        if flows and flows["results"]:
            flow = rng.choice(flows["results"])
            tally.get(session, base, "flow", f"/api/flows/{flow['id']}/")
            tally.get(session, base, "flow runs", f"/api/runs/?flow={flow['id']}&limit=50")
        runs = tally.get(session, base, "runs", "/api/runs/?limit=50")
        if runs and runs["results"]:
            run = rng.choice(runs["results"])
            tally.get(session, base, "run", f"/api/runs/{run['id']}/")


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = fresh_database("flowbuilder_bench_w4")
    env = bench_env(database_url, ALLOWED_HOSTS="127.0.0.1,localhost", CSRF_TRUSTED_ORIGINS=base)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow()
    more_flows_and_users()
    tally = Tally()
    with running(env) as procs:
        procs.web(port)
        procs.worker()
        hook = f"{base}/hooks/{token}/?wait=1"
        with ThreadPoolExecutor(8) as pool:  # a history of real runs to browse
            sessions = [requests.Session() for _ in range(8)]
            list(pool.map(lambda i: call(sessions[i % 8], hook, i), range(HISTORY_RUNS)))
        # Signed in before the clock starts: 50 password checks at once are a login storm, not browsing.
        with ThreadPoolExecutor(4) as pool:
            sessions = list(pool.map(lambda i: sign_in(base, f"browser{i}"), range(USERS)))
        until = time.monotonic() + SECONDS
        spy = start_py_spy("w4-web", procs.procs["web"].pid) if PROFILE else None
        t0 = time.perf_counter()
        with ThreadPoolExecutor(USERS) as pool:
            done = [pool.submit(browse, base, sessions[i], tally, until, i) for i in range(USERS)]
            for f in done:
                f.result()
        wall = time.perf_counter() - t0
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            spy.wait(timeout=30)
    every = [ms for values in tally.latencies.values() for ms in values]
    p95 = statistics.quantiles(every, n=20)[-1]
    for name, values in sorted(tally.latencies.items()):
        print(
            f"  {name:10s} n={len(values):5d} p50={statistics.median(values):7.1f} ms "
            f"p95={statistics.quantiles(values, n=20)[-1]:7.1f} ms"
        )
    for error in tally.errors[:5]:
        print(f"  error: {error}")
    if PROFILE:
        print(summarise(PROFILE_DIR / "w4-web.txt", WEB_GROUPS, top=20))
    print(f"  {USERS} users, think time {THINK_S:g} s, {SECONDS:g} s, {len(every)} requests")
    print(f"W4 rps={len(every) / wall:.1f} p95_ms={p95:.1f} errors={len(tally.errors)}")


if __name__ == "__main__":
    main()
