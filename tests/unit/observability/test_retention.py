"""Retention: old finished runs go with their rows, failed runs are kept longer, running ones never go;
the pruning reports the bytes it saved; setting a policy is the admin's and audited."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.execution.models import FailureRecord, NodeRun, Run, RunEvent
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import retention
from flowbuilder.observability.alert_models import RetentionPolicy
from tests.support.documents import manual_document

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def run(flow, status: str, days_ago: int) -> Run:
    finished = NOW - dt.timedelta(days=days_ago)
    r = Run.objects.create(
        organisation_id=flow.organisation_id,
        flow=flow,
        version_id=flow.published_version_id,
        status=status,
        input_items=[{"n": i} for i in range(20)],
        finished_at=None if status == "running" else finished,
    )
    NodeRun.objects.create(
        run=r, node_id="t", status="succeeded", output_items={"main": [{"x": "y" * 200}] * 5}
    )
    RunEvent.objects.create(run=r, seq=1, type="run.queued", payload={"status": "queued"}, at=finished)
    if status == "failed":
        FailureRecord.objects.create(
            organisation_id=flow.organisation_id, flow=flow, run=r, kind="run", category="timeout"
        )
    return r


def test_prune_keeps_failed_runs_longer_and_reports_the_size_saved(make_org, make_user):
    org, other = make_org("Acme"), make_org("Other")
    admin = make_user("ada", org, "admin")
    other_admin = make_user("oli", other, "admin")
    flows = {}
    for o, a in ((org, admin), (other, other_admin)):
        flow = flow_actions.create_flow(actor=a, organisation=o, name="f", document=manual_document())
        flow_actions.publish_flow(actor=a, flow=flow)
        flow.refresh_from_db()
        flows[o.pk] = flow
    retention.set_policy(actor=admin, organisation=org, run_days=7, failed_run_days=30)
    old_ok = run(flows[org.pk], "succeeded", 10)
    old_failed = run(flows[org.pk], "failed", 10)
    ancient_failed = run(flows[org.pk], "failed", 40)
    recent = run(flows[org.pk], "succeeded", 2)
    running = run(flows[org.pk], "running", 50)
    theirs = run(flows[other.pk], "succeeded", 10)  # Other follows the defaults (30 days): kept
    dry = retention.prune(NOW, dry_run=True)
    assert dry.runs == 2 and Run.objects.count() == 6
    report = retention.prune(NOW)
    assert report.runs == 2 and report.bytes_saved > 2 * 1000  # the node outputs alone are ~1 KB a run
    assert report.bytes_saved == dry.bytes_saved
    left = set(Run.objects.values_list("pk", flat=True))
    assert left == {old_failed.pk, recent.pk, running.pk, theirs.pk}
    assert not NodeRun.objects.filter(run_id__in=[old_ok.pk, ancient_failed.pk]).exists()
    assert not FailureRecord.objects.filter(run_id=ancient_failed.pk).exists()
    policy = RetentionPolicy.objects.get(organisation=org)
    assert policy.last_runs_deleted == 2 and policy.last_bytes_saved == report.bytes_saved
    out = StringIO()
    call_command("prune_runs", "--dry-run", stdout=out)
    assert "PRUNE runs=" in out.getvalue()


def test_policy_is_set_by_an_admin_with_sane_days(make_org, make_user):
    org = make_org("Acme")
    admin, viewer = make_user("ada", org, "admin"), make_user("val", org, "viewer")
    with pytest.raises(PermissionDeniedError):
        retention.set_policy(actor=viewer, organisation=org, run_days=7, failed_run_days=30)
    for run_days, failed, field in (
        (-1, 30, "run_days"),
        (7, 99999, "failed_run_days"),
        (30, 7, "failed_run_days"),
    ):
        with pytest.raises(InvalidInputError) as err:
            retention.set_policy(actor=admin, organisation=org, run_days=run_days, failed_run_days=failed)
        assert err.value.field == field
    assert retention.set_policy(actor=admin, organisation=org, run_days=0, failed_run_days=0).run_days == 0
