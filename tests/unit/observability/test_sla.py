"""SLA evaluation on business time, breaches for the alert evaluator, attainment by criticality."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import sla
from flowbuilder.observability.insight_models import SlaEvaluation, SlaPolicy
from tests.support.documents import manual_document

FRIDAY = dt.datetime(2026, 3, 13, 15, 0, tzinfo=dt.UTC)  # London is on GMT in March before the 29th


def run_at(admin, flow, created, status=RunStatus.QUEUED, finished=None):
    run = run_actions.start_run(actor=admin, flow=flow, input_items=[{}])
    Run.objects.filter(pk=run.pk).update(created_at=created, status=status, finished_at=finished)
    return run


def test_flow_run_sla_on_business_days(org, admin):
    org.timezone, org.country = "Europe/London", "GB"
    org.save()
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name="Invoices", document=manual_document()
    )
    flow_actions.publish_flow(actor=admin, flow=flow, comment="v1")
    flow.refresh_from_db()
    flow.criticality = "critical"
    flow.save()
    policy = sla.save_policy(
        actor=admin,
        organisation=org,
        name="Invoice in 1 business day",
        subject="flow_run",
        flow=flow,
        target=Decimal("1"),
        unit="business_days",
    )
    assert policy.criticality == "critical"
    # Due Monday 15:00 (the weekend does not count).
    met = run_at(
        admin, flow, FRIDAY, RunStatus.SUCCEEDED, FRIDAY + dt.timedelta(days=2, hours=20)
    )  # Mon 11:00
    late = run_at(
        admin, flow, FRIDAY, RunStatus.SUCCEEDED, FRIDAY + dt.timedelta(days=3, hours=1)
    )  # Mon 16:00
    failed = run_at(admin, flow, FRIDAY, RunStatus.FAILED, FRIDAY + dt.timedelta(minutes=5))
    running = run_at(admin, flow, FRIDAY, RunStatus.RUNNING)
    monday_noon = FRIDAY + dt.timedelta(days=2, hours=21)
    counts = sla.evaluate(policy, now=monday_noon)
    assert counts == {"met": 1, "breached": 1, "pending": 2}
    status = dict(SlaEvaluation.objects.values_list("run_id", "status"))
    assert status == {met.pk: "met", late.pk: "breached", failed.pk: "pending", running.pk: "pending"}
    due = SlaEvaluation.objects.get(run=met).due_at
    assert due == dt.datetime(2026, 3, 16, 15, 0, tzinfo=dt.UTC)
    # Tuesday: the failed and the still-running run are breached at the due time.
    sla.evaluate(policy, now=monday_noon + dt.timedelta(days=1))
    status = dict(SlaEvaluation.objects.values_list("run_id", "status"))
    assert status[failed.pk] == "breached" and status[running.pk] == "breached"
    found = sla.breaches(org.pk, FRIDAY)
    assert [b["run_id"] for b in found] == sorted([late.pk, failed.pk, running.pk])
    assert all(b["breached_at"] == due and b["criticality"] == "critical" for b in found)
    assert sla.breaches(org.pk, due + dt.timedelta(seconds=1)) == []
    attainment = sla.attainment([org.pk], FRIDAY - dt.timedelta(days=1))
    assert attainment["critical"]["met"] == 1 and attainment["critical"]["breached"] == 3
    assert attainment["critical"]["rate"] == 0.25
    assert attainment["normal"]["rate"] is None


def test_business_event_slas_from_records(business, admin):
    org, now = business["org"], business["now"]
    org.timezone = "UTC"
    org.save()
    # Time approved -> invoiced within 5 business days: 7001 was approved 20 days ago and invoiced at
    # 2026-02-20 (within), 7005 approved 25 days ago (2026-02-19) and invoiced 2026-02-04 (before: met),
    # 7002 is pending, 7003 (10 days ago, not invoiced) is breached; 7004 is not billable.
    policy = SlaPolicy.objects.create(
        organisation=org,
        name="Time to invoice",
        subject="approved_to_invoiced",
        target=5,
        unit="business_days",
    )
    sla.evaluate(policy, now=now)
    status = dict(SlaEvaluation.objects.filter(policy=policy).values_list("subject_key", "status"))
    assert status == {"7001": "met", "7005": "met", "7002": "pending", "7003": "breached"}
    # Won -> project within 2 business days: 006D was linked long after it was won; 006B (won last Friday)
    # and 006E still have time; 006A was won before the look-back window.
    won = SlaPolicy.objects.create(
        organisation=org, name="Won to project", subject="won_to_project", target=2, unit="business_days"
    )
    sla.evaluate(won, now=now)
    status = dict(SlaEvaluation.objects.filter(policy=won).values_list("subject_key", "status"))
    assert status == {"006B": "pending", "006D": "breached", "006E": "pending"}


def test_saving_a_policy_is_checked_and_audited(org, admin, make_org, builder):
    import pytest

    from flowbuilder.audit.models import AuditEvent
    from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError

    with pytest.raises(InvalidInputError) as err:
        sla.save_policy(
            actor=admin, organisation=org, name="x", subject="flow_run", target=Decimal(1), unit="hours"
        )
    assert err.value.field == "flow"
    with pytest.raises(InvalidInputError) as err:
        sla.save_policy(
            actor=admin, organisation=org, name="x", subject="paid_to_crm", target=Decimal(0), unit="hours"
        )
    assert err.value.field == "target"
    policy = sla.save_policy(
        actor=admin,
        organisation=org,
        name="Paid",
        subject="paid_to_crm",
        target=Decimal(4),
        unit="business_hours",
    )
    assert AuditEvent.objects.filter(action="sla.save", object_id=str(policy.pk)).count() == 1
    viewer = make_org("Elsewhere")
    with pytest.raises(PermissionDeniedError):
        sla.save_policy(
            actor=admin, organisation=viewer, name="x", subject="paid_to_crm", target=Decimal(1), unit="hours"
        )
