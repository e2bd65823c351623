"""An exception that stops occurring clears itself, where the node can know: a billing plan reads all open
work on every run, so an exception it does not raise again was fixed at the source (a rate was added).
A node that sees one item per run (flow.exception) cannot know, and its records wait for a person."""

from __future__ import annotations

from datetime import date

import pytest

from flowbuilder.execution import actions
from flowbuilder.execution.models import FailureRecord, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.nodes.builtins.billing import plan_invoices
from tests.support.documents import document, edge, node

from .test_inbox_dedupe import org_of, rate_flow, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(make_org, make_user):
    return make_user("ops", make_org("Acme"), "admin")


def billing_flow(user, existing: list[dict] | None = None):
    """The manual trigger's items are Kantata time entries of workspace 7; the plan bills February.
    ``existing``: the fields of the ERP invoice the plan sees (one per entry), if any."""
    project = [
        {"name": "workspace_id", "value": "7"},
        {"name": "netsuite_project_id", "value": "1201"},
        {"name": "customer_id", "value": "1101"},
        {"name": "subsidiary_id", "value": "2"},
        {"name": "currency", "value": "GBP"},
    ]
    plan = {
        "as_of": "2026-03-10",
        "cycles": {"default": {"cycle": "monthly", "cutoff_days": 3}},
        "items": {"2": {"time": "10", "expense": "13", "milestone": "11"}},
        "tax_codes": {"2": "16"},
    }
    doc = document(
        [
            node("t", "trigger.manual"),
            node("project", "transform.map", {"keep_other_fields": False, "fields": project}),
            node("plan", "billing.plan_invoices", plan),
        ],
        [
            edge("t", "plan", target_port="time"),
            edge("t", "project"),
            edge("project", "plan", target_port="projects"),
        ],
    )
    if existing:
        doc["nodes"].append(
            node("invoice", "transform.map", {"keep_other_fields": False, "fields": existing})
        )
        doc["edges"] += [edge("t", "invoice"), edge("invoice", "plan", target_port="existing")]
    flow = flow_actions.create_flow(actor=user, organisation=org_of(user), name="Billing", document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow


def entry(eid: int, rate: int | None) -> dict:
    return {
        "id": eid,
        "workspace_id": 7,
        "date_performed": "2026-02-03",
        "time_in_minutes": 60,
        "rate_in_cents": rate,
        "approved": True,
        "billable": True,
        "currency": "GBP",
    }


def test_a_plan_exception_not_raised_again_is_cleared_by_the_run_that_no_longer_raises_it(admin, eager):
    flow = billing_flow(admin)
    start(admin, flow, [entry(1, None), entry(2, None)])
    assert FailureRecord.objects.filter(flow=flow, state="open").count() == 2
    fixed = start(admin, flow, [entry(1, 20000), entry(2, None)])  # entry 1 got its rate
    records = {r.item["ref"]: r for r in FailureRecord.objects.filter(flow=flow)}
    cleared, still = records["T1"], records["T2"]
    assert (cleared.state, cleared.resolution, cleared.follow_up_run_id) == ("resolved", "cleared", fixed.pk)
    assert (still.state, still.occurrences, still.run_id) == ("open", 2, fixed.pk)
    # Raised again later, it is news again: a new open record.
    start(admin, flow, [entry(1, None)])
    assert FailureRecord.objects.filter(flow=flow, item__ref="T1", state="open").count() == 1


def test_an_exception_node_that_sees_one_item_per_run_clears_nothing(admin, eager):
    flow = rate_flow(admin)
    start(admin, flow, [{"id": 7}])
    start(admin, flow, [{"id": 8}])  # another deal's run says nothing about item 7
    assert sorted(
        FailureRecord.objects.filter(flow=flow, state="open").values_list("item__id", flat=True)
    ) == [7, 8]


def test_a_run_where_the_plan_is_skipped_clears_nothing(admin, eager):
    flow = billing_flow(admin)
    start(admin, flow, [entry(1, None)])
    run = actions.start_run(actor=admin, flow=flow, input_items=[])
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert FailureRecord.objects.get(flow=flow).state == "open"


def test_a_rejected_period_stays_open_in_the_inbox_while_held_and_clears_when_drafted_again(admin, eager):
    [draft] = plan_invoices(
        time=[entry(1, 20000)],
        expenses=[],
        stories=[],
        milestones=[],
        projects=[{"workspace_id": "7", "subsidiary_id": "2", "currency": "GBP"}],
        existing=[],
        cycles={"default": {"cycle": "monthly", "cutoff_days": 3}},
        items={"2": {"time": "10"}},
        tax_codes={"2": "16"},
        expense_currency={},
        key_prefix="FB-BILL",
        today=date(2026, 3, 10),
    )["invoices"]
    rejected = [
        {"name": "externalid", "value": draft["key"]},
        {"name": "approvalstatus", "value": "3"},
        {"name": "memo", "value": f"Rejected by ana: wrong rate [work {draft['fingerprint']}]"},
    ]
    flow = billing_flow(admin, existing=rejected)
    start(admin, flow, [entry(1, 20000)])
    start(admin, flow, [entry(1, 20000)])  # the same work: held again, not drafted
    held = FailureRecord.objects.get(flow=flow, node_id="plan")
    assert (held.state, held.category, held.occurrences) == ("open", "needs_review", 2)
    assert "rejected by ana: wrong rate" in held.message and held.item["key"] == draft["key"]
    fixed = start(admin, flow, [entry(1, 15000)])  # the rate was fixed in the PSA: drafted again
    held.refresh_from_db()
    assert (held.state, held.resolution, held.follow_up_run_id) == ("resolved", "cleared", fixed.pk)


def test_each_environment_keeps_and_clears_its_own_exceptions(admin, eager):
    from flowbuilder.flows import environments

    org = org_of(admin)
    org.environments_enabled = True
    org.save()
    flow = billing_flow(admin)  # published with environments on: prod
    dev = environments.promote(actor=admin, flow=flow, environment="dev")

    def in_dev(items):
        run = actions.start_run(actor=admin, flow=flow, input_items=items, version=dev)
        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED
        return run

    def open_in(environment):
        records = FailureRecord.objects.filter(flow=flow, state="open", run__version__environment=environment)
        return list(records)

    start(admin, flow, [entry(1, None)])
    in_dev([entry(1, None)])
    [prod_record], [dev_record] = open_in("prod"), open_in("dev")  # one each, not one seen twice
    assert prod_record.fingerprint != dev_record.fingerprint and prod_record.occurrences == 1
    fixed = in_dev([entry(1, 20000)])  # the rate was added in dev's systems only
    dev_record.refresh_from_db()
    assert (dev_record.resolution, dev_record.follow_up_run_id) == ("cleared", fixed.pk)
    assert [r.pk for r in open_in("prod")] == [prod_record.pk]
