"""Recurring exceptions in the failure inbox on real PostgreSQL with eager tasks: a flow raising the same
exception for the same item on every run keeps one open record that counts its occurrences
(``execution.failure_records.write``); a different item, or the same one after the record was resolved,
is a record of its own; plain item and run failures are never merged."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from flowbuilder.execution import actions, failure_records
from flowbuilder.execution.models import FailureRecord, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import inbox, inbox_actions
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(make_org, make_user):
    return make_user("ops", make_org("Acme"), "admin")


def org_of(user):
    return user.memberships.first().organisation


def rate_flow(user):
    """Every item without a rate is an exception (as billing.plan_invoices raises for a timecard)."""
    doc = document(
        [
            node("t", "trigger.manual"),
            node("rated", "transform.filter", {"condition": "$item.rate > 0"}),
            node(
                "norate",
                "flow.exception",
                {
                    "category": "missing_reference",
                    "problem": "{{ 'Time entry ' & $item.id & ' has no bill rate.' }}",
                    "what_to_fix": "Give the role a rate.",
                },
            ),
        ],
        [edge("t", "rated"), edge("rated", "norate", "rejected")],
    )
    flow = flow_actions.create_flow(actor=user, organisation=org_of(user), name="Billing", document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow


def start(user, flow, items):
    run = actions.start_run(actor=user, flow=flow, input_items=items)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    return run


def test_the_same_exception_on_two_runs_is_one_record_seen_twice_pointing_at_the_latest_run(admin, eager):
    flow = rate_flow(admin)
    first = start(admin, flow, [{"id": 7, "hours": 2}])
    [record] = FailureRecord.objects.filter(flow=flow)
    assert (record.occurrences, record.run_id, record.fingerprint != "") == (1, first.pk, True)
    seen_first = record.last_seen_at
    second = start(admin, flow, [{"id": 5, "rate": 90}, {"id": 7, "hours": 3}])
    [record] = FailureRecord.objects.filter(flow=flow)
    assert record.occurrences == 2 and record.state == "open"
    # the latest occurrence: its run, item and place (a retry from the node takes that item)
    assert (record.run_id, record.item_index, record.item["hours"]) == (second.pk, 0, 3)
    assert record.last_seen_at > seen_first
    [group] = inbox.groups([org_of(admin).pk])["groups"]
    assert (group["count"], group["latest_at"]) == (1, record.last_seen_at)


def test_a_different_item_is_a_record_of_its_own(admin, eager):
    flow = rate_flow(admin)
    start(admin, flow, [{"id": 7}])
    start(admin, flow, [{"id": 8}, {"id": 7}])
    records = FailureRecord.objects.filter(flow=flow).order_by("id")
    assert [(r.item["id"], r.occurrences) for r in records] == [(7, 2), (8, 1)]


def test_raised_again_after_it_was_resolved_it_is_a_new_record(admin, eager):
    flow = rate_flow(admin)
    start(admin, flow, [{"id": 7}])
    [old] = FailureRecord.objects.filter(flow=flow)
    inbox_actions.resolve_failure(actor=admin, failure=old)
    again = start(admin, flow, [{"id": 7}])
    old.refresh_from_db()
    new = FailureRecord.objects.exclude(pk=old.pk).get(flow=flow)
    assert (old.state, old.occurrences) == ("resolved", 1)
    assert (new.state, new.occurrences, new.run_id, new.fingerprint) == ("open", 1, again.pk, old.fingerprint)


def test_a_redelivered_step_counts_nothing_again_and_a_batch_costs_three_queries(admin, eager):
    flow = rate_flow(admin)
    run = start(admin, flow, [{"id": 1}, {"id": 2}])
    later = start(admin, flow, [{"id": 5, "rate": 1}])  # raised nothing
    items = [
        {
            "id": i,
            "exception": {"category": "missing_reference", "problem": f"Time entry {i} has no bill rate."},
        }
        for i in (1, 2, 4)
    ]  # 1 and 2 as the exception node raised them (open records), 4 is new
    records = failure_records.for_exceptions(later, "norate", items)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:  # the engine's step transaction
        failure_records.write(records)
    assert len(queries) == 3, [
        q["sql"][:60] for q in queries.captured_queries
    ]  # select the open ones, count them again, insert the rest
    counts = dict(FailureRecord.objects.filter(flow=flow).values_list("item__id", "occurrences"))
    assert counts == {1: 2, 2: 2, 4: 1}
    failure_records.write(failure_records.for_exceptions(later, "norate", items))  # redelivered
    counts = dict(FailureRecord.objects.filter(flow=flow).values_list("item__id", "occurrences"))
    assert counts == {1: 2, 2: 2, 4: 1}
    assert not FailureRecord.objects.filter(flow=flow, run=run).exists()  # all point at the latest run


def test_plain_item_failures_of_different_runs_keep_their_own_records(admin, eager):
    flow = rate_flow(admin)
    runs = [start(admin, flow, [{"id": 5, "rate": 1}]) for _ in range(2)]
    records = [failure_records.for_items(r, "rated", {"category": "validation"}, [{"id": 1}]) for r in runs]
    for batch in records:
        failure_records.write(batch)
    stored = FailureRecord.objects.filter(flow=flow)
    assert sorted(r.run_id for r in stored) == sorted(r.pk for r in runs)
    assert {(r.fingerprint, r.occurrences) for r in stored} == {("", 1)}


def test_fingerprint_is_category_problem_and_the_items_id_like_fields():
    exc = {"category": "validation", "problem": "p"}
    fp = failure_records.fingerprint
    assert fp("validation", "p", {"id": 1, "hours": 2}, exc) == fp(
        "validation", "p", {"id": 1, "hours": 9}, exc
    )
    assert fp("validation", "p", {"id": 1}, exc) != fp("validation", "p", {"id": 2}, exc)
    assert fp("validation", "p", {"id": 1}, exc) != fp("validation", "q", {"id": 1}, exc)
    assert fp("validation", "p", {"id": 1}, exc) != fp("billing_setup", "p", {"id": 1}, exc)
    assert fp("validation", "p", {"entry_id": "A"}, exc) != fp("validation", "p", {"entry_id": "B"}, exc)
    # no id-like field: the whole item
    assert fp("validation", "p", {"name": "x"}, exc) != fp("validation", "p", {"name": "y"}, exc)
    # a held match item is its review (the problem text carries scores that change)
    held = {"category": "needs_review", "review_id": 3}
    assert fp("needs_review", "best at 80%", {"Id": "1"}, held) == fp(
        "needs_review", "at 90%", {"Id": "1"}, held
    )


def test_two_recurring_exceptions_naming_one_input_index_do_not_collide(admin, eager):
    flow = rate_flow(admin)
    start(admin, flow, [{"id": 1}, {"id": 2}])
    later = start(admin, flow, [{"id": 5, "rate": 1}])
    items = [
        {
            "id": i,
            "exception": {
                "category": "missing_reference",
                "problem": f"Time entry {i} has no bill rate.",
                "item_index": 0,
            },
        }
        for i in (1, 2)
    ]
    failure_records.write(failure_records.for_exceptions(later, "norate", items))
    counts = dict(FailureRecord.objects.filter(flow=flow).values_list("item__id", "occurrences"))
    assert counts == {1: 2, 2: 2}
    assert FailureRecord.objects.filter(flow=flow, run=later).count() == 1  # the other kept its place
