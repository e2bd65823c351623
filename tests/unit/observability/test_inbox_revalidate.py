"""Revalidation in the failure inbox on real PostgreSQL with eager tasks: a failed item is evaluated again
through the draft (or published) version without side effects, and the ones that pass are replayed.

The outside world is a local HTTP endpoint that refuses an amount that is not a number; every test
asserts that revalidating never reaches it."""

from __future__ import annotations

import copy

import pytest

from flowbuilder.audit.models import AuditEvent
from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import actions
from flowbuilder.execution.models import FailureKind, FailureRecord, FailureState, Run, RunStatus
from flowbuilder.execution.revalidate import diff
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import VersionState
from flowbuilder.observability import inbox_actions
from flowbuilder.observability.inbox_models import BatchStatus, InboxBatch
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)

BAD_MAPPING = "{{ $item.amount_text }}"  # the text "12,50": the ERP wants a number
GOOD_MAPPING = "{{ $item.amount_cents / 100 }}"


@pytest.fixture
def admin(make_org, make_user):
    return make_user("ops", make_org("Acme"), "admin")


@pytest.fixture
def erp(endpoint):
    """/invoice answers 400 unless ``amount`` is a number."""

    def answer(n, body):
        ok = isinstance((body or {}).get("amount"), int | float)
        return (200, {}, {"id": f"INV-{n}"}) if ok else (400, {}, {"error": "amount must be a number"})

    endpoint.route("/invoice", answer)
    return endpoint


def invoice_doc(url: str, mapping: str) -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("map", "transform.map", {"fields": [{"name": "amount", "value": mapping}]}),
            node(
                "send",
                "http.request",
                {"method": "POST", "url": url, "body": {"amount": "{{ $item.amount }}"}},
            ),
        ],
        [edge("t", "map"), edge("map", "send")],
    )


def org_of(user):
    return user.memberships.first().organisation


def failed_run(admin, erp):
    flow = flow_actions.create_flow(
        actor=admin,
        organisation=org_of(admin),
        name="Invoices",
        document=invoice_doc(erp.url + "/invoice", BAD_MAPPING),
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    run = actions.start_run(
        actor=admin, flow=flow, input_items=[{"id": 7, "amount_text": "12,50", "amount_cents": 1250}]
    )
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    [failure] = FailureRecord.objects.filter(run=run)
    assert (failure.node_id, failure.category) == ("send", "refused_value")
    return flow, run, failure


def fix_draft(admin, flow, mapping: str = GOOD_MAPPING) -> None:
    flow.refresh_from_db()
    doc = copy.deepcopy(flow.draft_document)
    for n in doc["nodes"]:
        if n["id"] == "map":
            n["config"]["fields"][0]["value"] = mapping
    flow_actions.save_draft(actor=admin, flow=flow, document=doc, revision=flow.draft_revision)


def revalidate(admin, failures, target="draft") -> InboxBatch:
    batch = inbox_actions.start_batch(
        actor=admin,
        organisation=org_of(admin),
        action="revalidate",
        failure_ids=[f.pk for f in failures],
        target=target,
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    return batch


def test_a_refused_item_still_fails_until_the_draft_mapping_is_fixed_then_passes_with_its_new_input(
    admin, eager, erp
):
    flow, run, failure = failed_run(admin, erp)
    assert erp.calls["/invoice"] == 1

    before_fix = revalidate(admin, [failure])
    [result] = before_fix.results
    assert result["verdict"] == "fail" and "same input would be refused again" in result["reason"]
    assert result["diff"] == [] and result["checked"] == "inputs checked, not called"

    fix_draft(admin, flow)
    after_fix = revalidate(admin, [failure])
    [result] = after_fix.results
    assert result["verdict"] == "pass", result
    assert result["input"] == {"id": 7, "amount_text": "12,50", "amount_cents": 1250, "amount": 12.5}
    assert result["diff"] == [{"path": "amount", "change": "changed", "before": "12,50", "after": 12.5}]
    assert (after_fix.succeeded, after_fix.done, after_fix.total, after_fix.new_runs) == (1, 1, 1, 0)

    # Revalidating called nothing outside, started no run and resolved nothing.
    assert erp.calls["/invoice"] == 1
    assert Run.objects.count() == 1
    failure.refresh_from_db()
    assert failure.state == FailureState.OPEN
    # On the published version (still the bad mapping) it still fails.
    [published] = revalidate(admin, [failure], target="published").results
    assert published["verdict"] == "fail"
    assert erp.calls["/invoice"] == 1

    replay = inbox_actions.replay_passing(actor=admin, revalidation=after_fix)
    replay.refresh_from_db()
    assert (replay.action, replay.status, replay.succeeded, replay.new_runs) == ("replay_draft", "done", 1, 1)
    new_run = Run.objects.get(replay_of=run)
    assert new_run.status == RunStatus.SUCCEEDED
    assert new_run.version.state == VersionState.SNAPSHOT  # the draft that was revalidated, frozen
    assert erp.bodies["/invoice"][-1] == {"amount": 12.5}
    failure.refresh_from_db()
    assert (failure.state, failure.follow_up_run_id) == (FailureState.RESOLVED, new_run.pk)
    assert list(
        AuditEvent.objects.filter(action="inbox.bulk").order_by("id").values_list("after__action", flat=True)
    ) == ["revalidate", "revalidate", "revalidate", "replay_draft"]


def test_a_mapping_expression_error_fails_with_its_reason_and_passes_once_the_draft_is_fixed(
    admin, eager, erp
):
    flow, run, _ = failed_run(admin, erp)
    bad = invoice_doc(erp.url + "/invoice", "{{ $item.amount_text * 100 }}")  # "12,50" * 100 raises
    flow_actions.publish_flow(actor=admin, flow=flow, document=bad)
    flow.refresh_from_db()
    run = actions.start_run(actor=admin, flow=flow, input_items=run.input_items)
    [failure] = FailureRecord.objects.filter(run=run)
    assert failure.node_id == "map" and failure.kind == FailureKind.RUN

    [result] = revalidate(admin, [failure], target="published").results
    assert result["verdict"] == "fail" and result["checked"] == "ran"
    assert "number" in result["reason"].lower(), result

    fix_draft(admin, flow)
    [result] = revalidate(admin, [failure]).results
    assert result["verdict"] == "pass", result
    assert erp.calls["/invoice"] == 1  # only the very first run's call


def test_the_draft_changing_after_revalidation_refuses_the_replay(admin, eager, erp):
    flow, _, failure = failed_run(admin, erp)
    fix_draft(admin, flow)
    batch = revalidate(admin, [failure])
    fix_draft(admin, flow, "{{ $item.amount_cents }}")
    replay = inbox_actions.replay_passing(actor=admin, revalidation=batch)
    replay.refresh_from_db()
    assert replay.new_runs == 0 and "draft changed" in replay.errors[0]["message"]
    failure.refresh_from_db()
    assert failure.state == FailureState.OPEN
    assert erp.calls["/invoice"] == 1


def test_refusals(admin, eager, erp):
    _, _, failure = failed_run(admin, erp)
    org = org_of(admin)
    with pytest.raises(InvalidInputError) as target:
        inbox_actions.start_batch(
            actor=admin, organisation=org, action="revalidate", failure_ids=[1], target="x"
        )
    assert target.value.field == "target"
    with pytest.raises(InvalidInputError) as direct:
        inbox_actions.start_batch(
            actor=admin, organisation=org, action="replay_draft", failure_ids=[failure.pk]
        )
    assert direct.value.field == "action"
    nothing = revalidate(admin, [failure])  # the draft is the bad mapping: nothing passes
    with pytest.raises(InvalidInputError) as none_pass:
        inbox_actions.replay_passing(actor=admin, revalidation=nothing)
    assert none_pass.value.field == "results"


def test_diff_lists_added_removed_and_changed_paths():
    assert diff({"a": 1, "b": {"c": "x"}, "gone": 2}, {"a": 1, "b": {"c": 3}, "new": True}) == [
        {"path": "b.c", "change": "changed", "before": "x", "after": 3},
        {"path": "gone", "change": "removed", "before": 2, "after": None},
        {"path": "new", "change": "added", "before": None, "after": True},
    ]
    assert diff({"n": 1}, {"n": 1.0}) == [{"path": "n", "change": "changed", "before": 1, "after": 1.0}]


def test_where_publishing_needs_approval_passing_items_replay_only_on_the_published_version(
    admin, eager, erp
):
    """Replaying on a draft would run an unreviewed version for real: refused, naming ``target``; the
    published version can still be replayed (after the fix went through review)."""
    flow, _, failure = failed_run(admin, erp)
    fix_draft(admin, flow)
    on_draft = revalidate(admin, [failure])
    org = org_of(admin)
    org.require_publish_approval = True
    org.save(update_fields=["require_publish_approval"])
    with pytest.raises(InvalidInputError) as refused:
        inbox_actions.replay_passing(actor=admin, revalidation=on_draft)
    assert refused.value.field == "target" and "publish" in refused.value.message.lower()
    failure.refresh_from_db()
    assert failure.state == FailureState.OPEN and erp.calls["/invoice"] == 1
    # a batch queued before the policy changed is refused run by run as well
    queued = InboxBatch.objects.create(
        organisation=org,
        actor=admin,
        action="replay_draft",
        failure_ids=[failure.pk],
        total=1,
        draft_revisions=on_draft.draft_revisions,
        source_batch=on_draft,
    )
    queued = inbox_actions.run_batch(queued.pk)
    assert queued.new_runs == 0 and "publish" in queued.errors[0]["message"]
    failure.refresh_from_db()
    assert failure.state == FailureState.OPEN and erp.calls["/invoice"] == 1
