"""OPS: operations pages at scale. 100,000 runs and 10,000 failed items across 50 customers of one partner.

Bulk-writes the history into a fresh PostgreSQL database (``flowbuilder.devtools.ops_data.bulk_runs``:
bulk_create, nothing dispatched), rolls the dashboards' buckets up, evaluates two SLA policies, links one
deal across systems, then starts the web process (uvicorn) and times, as the partner's admin over HTTP
(median of 7 after a warm-up):

* the failure inbox's first page for the partner (all 50 customers): the groups by cause
  (``/api/inbox/``) plus the first 50 failures of the biggest group (``/api/failures/?group=``), the two
  requests the Inbox page makes; ``inbox_ms`` is their sum (``OPS_INBOX_PATH`` times one path instead);
* the partner dashboard over 7 days (all 50 customers: series, per-customer rows, backlog, SLA attainment);
* a trace search by a deal's CRM id.

``OPS_REUSE=1`` measures again on the database an earlier run left (no rebuild). Goal: each under
300 ms. Ends with: OPS runs=<n> inbox_ms=<n> dashboard_ms=<n> trace_ms=<n>
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import DB_SUFFIX, PG, bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402

RUNS = int(os.environ.get("OPS_RUNS", "100000"))
FAILED_ITEMS = int(os.environ.get("OPS_FAILED_ITEMS", "10000"))
CUSTOMERS = int(os.environ.get("OPS_CUSTOMERS", "50"))
FLOWS_PER_CUSTOMER = 2
PASSWORD = "bench-pass-1"


def build() -> dict:
    from django.contrib.auth import get_user_model

    from flowbuilder.crossref import actions as crossref
    from flowbuilder.devtools.ops_data import Mix, bulk_runs, sf_id
    from flowbuilder.flows import actions as flow_actions
    from flowbuilder.observability import dashboards, sla
    from flowbuilder.observability.insight_models import SlaPolicy
    from flowbuilder.tenancy.models import Membership, Organisation, OrganisationKind
    from tests.support.documents import manual_document

    rng = random.Random(20261206)
    partner = Organisation.objects.create(
        name="Bench Partner", slug="bench-partner", kind=OrganisationKind.PARTNER
    )
    admin = get_user_model().objects.create_user("ops-admin", password=PASSWORD)
    Membership.objects.create(user=admin, organisation=partner, role="admin")
    customers = [
        Organisation.objects.create(
            name=f"Customer {c:02d}", slug=f"customer-{c:02d}", kind=OrganisationKind.CUSTOMER, parent=partner
        )
        for c in range(CUSTOMERS)
    ]
    admin = get_user_model().objects.get(pk=admin.pk)  # permissions are cached per user object
    flows = []
    for customer in customers:
        for f in range(FLOWS_PER_CUSTOMER):
            flow = flow_actions.create_flow(
                actor=admin, organisation=customer, name=f"Flow {f}", document=manual_document()
            )
            flow_actions.publish_flow(actor=admin, flow=flow, comment="v1")
            flow.refresh_from_db()
            flows.append(flow)
    per_flow, items_per_flow = RUNS // len(flows), FAILED_ITEMS // len(flows)
    t0 = time.perf_counter()
    for i, flow in enumerate(flows):
        bulk_runs(
            flow,
            per_flow,
            hours=24 * 7,
            mix=Mix(
                failure_rate=rng.choice((0.01, 0.03, 0.08, 0.2)),
                active_rate=0.01,
                median_s=rng.choice((2, 5, 30)),
            ),
            rng=rng,
            deal_offset=i * per_flow,
            failed_items=items_per_flow,
        )
    print(f"generated {per_flow * len(flows)} runs in {time.perf_counter() - t0:.1f} s", flush=True)
    deal = sf_id("006", 0)
    first = flows[0]
    crossref.link(first.organisation_id, "project", "salesforce", deal, "netsuite", "801")
    crossref.link(first.organisation_id, "project", "salesforce", deal, "kantata", "501")
    t0 = time.perf_counter()
    buckets = dashboards.rebuild_all()
    dashboards.rollup()
    print(f"rolled up {buckets} buckets in {time.perf_counter() - t0:.1f} s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load
        for table in ("observability_runbucket", "observability_rundaybucket", "observability_tracekey"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    for flow in flows[:2]:
        policy = SlaPolicy.objects.create(
            organisation_id=flow.organisation_id,
            name=f"{flow.name} in 4h",
            subject="flow_run",
            flow=flow,
            target=4,
            unit="business_hours",
        )
        sla.evaluate(policy)
    return {"partner": partner.pk, "deal": deal}


def inbox_ms(session: requests.Session, base: str, partner: int) -> tuple[float, str]:
    """The Inbox page's two requests (groups, then the biggest group's first page), median of each."""
    explicit = os.environ.get("OPS_INBOX_PATH")
    if explicit:
        return timed(session, f"{base}{explicit}"), f"OPS_INBOX_PATH {explicit}"
    groups_url = f"{base}/api/inbox/?organisation={partner}&group_by=category"
    groups = session.get(groups_url, timeout=30).json()
    biggest = groups["groups"][0]
    page_url = f"{base}/api/failures/?organisation={partner}&group={biggest['key']}&limit=50"
    groups_ms, page_ms = timed(session, groups_url), timed(session, page_url)
    what = (
        f"the failure inbox: {groups['total']} open failures in {len(groups['groups'])} groups "
        f"({groups_ms:.0f} ms), first page of {biggest['key']} ({biggest['count']}; {page_ms:.0f} ms)"
    )
    return groups_ms + page_ms, what


def timed(session: requests.Session, url: str, repeat: int = 7) -> float:
    answer = session.get(url, timeout=30)
    answer.raise_for_status()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        session.get(url, timeout=30).raise_for_status()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def reuse() -> dict:
    """The world an earlier run left in ``bench_ops`` (``OPS_REUSE=1``: measure again without rebuilding)."""
    from flowbuilder.devtools.ops_data import sf_id
    from flowbuilder.tenancy.models import Organisation

    return {"partner": Organisation.objects.get(slug="bench-partner").pk, "deal": sf_id("006", 0)}


def main() -> None:
    if os.environ.get("OPS_REUSE"):
        env = bench_env(f"{PG}/bench_ops{DB_SUFFIX}")
        setup_django(env)
        world = reuse()
    else:
        env = bench_env(fresh_database("bench_ops"))
        manage(env, "migrate", "--noinput")
        setup_django(env)
        world = build()
    port = free_port()
    with running(env) as procs:
        procs.web(port)
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        session.get(f"{base}/login/", timeout=10)
        login = session.post(
            f"{base}/api/auth/login/",
            json={"username": "ops-admin", "password": PASSWORD},
            headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": f"{base}/"},
            timeout=10,
        )
        login.raise_for_status()
        inbox_total_ms, what = inbox_ms(session, base, world["partner"])
        dashboard_ms = timed(session, f"{base}/api/dashboards/?organisation={world['partner']}&range=7d")
        trace_ms = timed(session, f"{base}/api/trace/?q={world['deal']}")
    from flowbuilder.execution.models import NodeRun, Run

    runs = Run.objects.count()
    print(f"inbox: {what}")
    print(f"failed items: {NodeRun.objects.filter(status='failed').count()}")
    figures = f"inbox_ms={inbox_total_ms:.0f} dashboard_ms={dashboard_ms:.0f} trace_ms={trace_ms:.0f}"
    print(f"OPS runs={runs} {figures}")


if __name__ == "__main__":
    main()
