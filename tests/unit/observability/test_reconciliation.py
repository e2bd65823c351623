"""Reconciliation figures against records seeded with known differences, and the fix job."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution.models import Run, RunOrigin
from flowbuilder.observability import reconciliation
from flowbuilder.observability.insight_models import ReconciliationPolicy, ReconciliationReport
from tests.support.documents import manual_document

FEB = dt.date(2026, 2, 1)


def policy(org, kind, **kwargs):
    return ReconciliationPolicy.objects.create(organisation=org, name=kind, kind=kind, **kwargs)


def report(p, start=FEB):
    s, e = reconciliation.period_bounds(p.period, start)
    return reconciliation.produce(
        ReconciliationReport.objects.create(
            policy=p, organisation=p.organisation, period_start=s, period_end=e
        )
    )


def by_key(r):
    return {d.key: d for d in r.differences.all()}


def test_billing_differences_per_project(business):
    r = report(policy(business["org"], "psa_vs_erp_billing"))
    diffs = by_key(r)
    assert set(diffs) == {"501", "502"}
    # 501: 10 h / 1500.00 approved in February, 8 h / 1200.00 invoiced on the linked NetSuite job 801.
    assert diffs["501"].kind == "hours"
    assert diffs["501"].left == {"hours": "10.00", "amount": "1500.00"}
    assert diffs["501"].right == {"hours": "8.00", "amount": "1200.00", "counterpart": "801"}
    assert diffs["501"].delta == {"hours": "-2.00", "amount": "-300.00"}
    # 502: 4 h approved, its job 802 has no February invoice.
    assert diffs["502"].kind == "missing_right"
    assert diffs["502"].source == {"system": "kantata", "entity": "project", "id": "502"}
    assert r.totals["left"] == {"hours": "14.00", "amount": "2300.00"}
    assert r.totals["right"] == {"hours": "8.00", "amount": "1200.00"}
    assert (r.status, r.matched, r.difference_count) == ("done", 0, 2)


def test_tolerances_absorb_small_differences(business):
    r = report(
        policy(
            business["org"],
            "psa_vs_erp_billing",
            tolerance_hours=Decimal("2.5"),
            tolerance_amount=Decimal("400"),
        )
    )
    assert set(by_key(r)) == {"502"}
    assert r.matched == 1


def test_bookings_vs_erp_projects(business):
    r = report(policy(business["org"], "crm_vs_erp_projects"), dt.date(2026, 3, 1))
    # March bookings: 006B (no project anywhere) and 006E (won today, no project yet);
    # 006A and 006D are February bookings.
    assert set(by_key(r)) == {"006B", "006E"}
    assert by_key(r)["006B"].kind == "missing_right"
    assert r.totals["left"] == {"deals": 2, "amount": "12999.00"}
    feb = report(policy(business["org"], "crm_vs_erp_projects"), FEB)
    # 006A's project 801 is in NetSuite; 006D's project 802 is linked but gone from NetSuite.
    assert set(by_key(feb)) == {"006D"} and by_key(feb)["006D"].kind == "gone_right"
    assert feb.matched == 1


def test_fix_job_starts_the_fix_flow_per_differing_record(
    business, admin, django_capture_on_commit_callbacks
):
    from flowbuilder.flows import actions as flow_actions

    org = business["org"]
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name="Bill again", document=manual_document()
    )
    flow_actions.publish_flow(actor=admin, flow=flow, comment="v1")
    flow.refresh_from_db()
    r = report(policy(org, "psa_vs_erp_billing", fix_flow=flow))
    runs = reconciliation.create_fix_job(actor=admin, report=r)
    assert len(runs) == 2
    items = sorted(run.input_items[0]["id"] for run in Run.objects.filter(pk__in=[x.pk for x in runs]))
    assert items == ["501", "502"]
    assert {run.origin for run in runs} == {RunOrigin.API}
    assert all(d.fix_run_id for d in r.differences.all())
    with pytest.raises(InvalidInputError):  # everything is already being fixed
        reconciliation.create_fix_job(actor=admin, report=r)


def test_fix_job_without_fix_flow_replays_the_flow_that_handled_the_record(business, admin):
    from flowbuilder.execution import actions as run_actions
    from flowbuilder.flows import actions as flow_actions

    org = business["org"]
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name="Quote to project", document=manual_document()
    )
    flow_actions.publish_flow(actor=admin, flow=flow, comment="v1")
    flow.refresh_from_db()
    deal = "006000000000ABCAAZ"
    from flowbuilder.observability.insight_models import BusinessRecord

    BusinessRecord.objects.create(
        organisation=org,
        role="crm",
        system="salesforce",
        entity="opportunity",
        external_id=deal,
        name="New",
        status="won",
        amount=Decimal("10"),
        occurred_at=business["now"] - dt.timedelta(days=1),
        fetched_at=business["now"],
    )
    first = run_actions.start_run(actor=admin, flow=flow, input_items=[{"Id": deal, "Name": "New"}])
    r = report(policy(org, "crm_vs_erp_projects"), business["now"].date())
    assert deal in by_key(r)
    runs = reconciliation.create_fix_job(actor=admin, report=r, difference_ids=[by_key(r)[deal].pk])
    assert len(runs) == 1
    assert runs[0].replay_of_id == first.pk and runs[0].input_items == [{"Id": deal, "Name": "New"}]


def test_periods():
    assert reconciliation.period_bounds("month", dt.date(2026, 2, 17)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    )
    assert reconciliation.period_bounds("week", dt.date(2026, 3, 18)) == (
        dt.date(2026, 3, 16),
        dt.date(2026, 3, 23),
    )
    assert reconciliation.last_closed_period("month", dt.date(2026, 1, 5)) == (
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    )
