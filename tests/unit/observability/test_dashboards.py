"""Dashboards read the rolled-up buckets: figures match the runs, partners get a row per customer."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import dashboards
from flowbuilder.observability.insight_models import BacklogSample, RunBucket
from flowbuilder.tenancy.models import OrganisationKind
from tests.support.documents import manual_document


def flow_of(admin, org, name="Flow"):
    flow = flow_actions.create_flow(actor=admin, organisation=org, name=name, document=manual_document())
    flow_actions.publish_flow(actor=admin, flow=flow, comment="v1")
    flow.refresh_from_db()
    return flow


def runs(admin, flow, n, status, seconds, ago=dt.timedelta(minutes=30)):
    now = timezone.now()
    made = []
    for _ in range(n):
        run = run_actions.start_run(actor=admin, flow=flow, input_items=[{}])
        created = now - ago
        Run.objects.filter(pk=run.pk).update(
            status=status,
            created_at=created,
            finished_at=None
            if status in ("queued", "running", "waiting")
            else created + dt.timedelta(seconds=seconds),
        )
        made.append(run)
    return made


def test_percentiles_from_bins():
    bins = {dashboards.latency_bin(ms): 0 for ms in (100, 1000)}
    bins[dashboards.latency_bin(100)] = 90
    bins[dashboards.latency_bin(1000)] = 10
    assert abs(dashboards.percentile(bins, 0.5) - 100) / 100 < 0.13
    assert abs(dashboards.percentile(bins, 0.95) - 1000) / 1000 < 0.13
    assert dashboards.percentile({}, 0.5) is None


def test_rollup_and_dashboard_figures(org, admin):
    a, b = flow_of(admin, org, "Orders"), flow_of(admin, org, "Invoices")
    runs(admin, a, 8, RunStatus.SUCCEEDED, 2)
    runs(admin, a, 2, RunStatus.FAILED, 20)
    runs(admin, b, 3, RunStatus.SUCCEEDED, 60, ago=dt.timedelta(hours=5))
    runs(admin, b, 1, RunStatus.RUNNING, 0)
    Run.objects.filter(status=RunStatus.QUEUED).delete()
    result = dashboards.rollup()
    assert result["buckets"] > 0
    data = dashboards.dashboard([org.pk], range_key="24h")
    assert data["totals"]["runs"] == 14
    assert (data["totals"]["succeeded"], data["totals"]["failed"], data["totals"]["active"]) == (11, 2, 1)
    assert data["totals"]["failure_rate"] == round(2 / 13, 4)
    groups = {g["label"]: g for g in data["groups"]}
    assert groups["Orders"]["runs"] == 10 and groups["Orders"]["failure_rate"] == 0.2
    assert abs(groups["Orders"]["p50_ms"] - 2000) / 2000 < 0.13
    assert abs(groups["Invoices"]["p95_ms"] - 60000) / 60000 < 0.13
    assert len(data["series"]) in (24, 25) and sum(p["runs"] for p in data["series"]) == 14
    assert {line["label"] for line in data["lines"]} == {"Orders", "Invoices"}
    assert data["backlog"]["now"]["running"] == 1
    assert BacklogSample.objects.filter(organisation=org, running=1).exists()
    assert data["group_by"] == "flow" and data["customers"] == []
    # A run that ends later moves its hour's figures at the next rollup (its hour was active).
    Run.objects.filter(status=RunStatus.RUNNING).update(status=RunStatus.FAILED, finished_at=timezone.now())
    dashboards.rollup()
    assert dashboards.dashboard([org.pk])["totals"]["failed"] == 3
    # Only this flow.
    assert dashboards.dashboard([org.pk], flow_id=b.pk)["totals"]["runs"] == 4


def test_partner_rows_per_customer(make_org, make_user):
    partner = make_org("Partner", kind=OrganisationKind.PARTNER)
    one, two = make_org("One", parent=partner), make_org("Two", parent=partner)
    admin = make_user("padmin", partner, role="admin")
    runs(admin, flow_of(admin, one), 5, RunStatus.SUCCEEDED, 1)
    runs(admin, flow_of(admin, two), 4, RunStatus.FAILED, 1)
    runs(admin, flow_of(admin, two), 1, RunStatus.SUCCEEDED, 1)
    dashboards.rebuild_all()
    assert RunBucket.objects.count() >= 3
    data = dashboards.dashboard([partner.pk, one.pk, two.pk], partner=partner, range_key="7d")
    rows = {r["organisation"]["name"]: r for r in data["customers"]}
    assert rows["One"]["health"] == "healthy" and rows["One"]["runs_24h"] == 5
    assert rows["Two"]["health"] == "failing" and rows["Two"]["failure_rate_24h"] == 0.8
    assert sum(d["runs"] for d in rows["Two"]["daily"]) == 5
    assert data["group_by"] == "customer"
    assert {g["label"] for g in data["groups"]} == {"One", "Two"}
