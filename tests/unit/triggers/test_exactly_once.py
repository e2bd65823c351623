"""Exactly-once polling against the sandbox: a record version found again starts no run, a flow's own
write back to the polled system is recognised as its echo, a person's later change still starts a run,
and expired bookkeeping is pruned."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.base import RecordRef
from connectors.registry import load_connectors
from connectors.written import written_records
from flowbuilder.crossref import echoes
from flowbuilder.crossref.models import WriteMark
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.triggers import actions, ingress
from flowbuilder.triggers.models import PollingState, SeenRecord, WebhookDelivery
from tests.conftest import document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(kantata_runtime, workspace) -> str:
    base = {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 30}
    return str(kantata_runtime.run_action("create_time_entry", base)["id"])


def _next_second() -> None:
    """Kantata keeps updated_at to the second: a later change must fall in a later second."""
    time.sleep(1.05)


def test_a_record_version_found_again_by_an_overlapping_cursor_starts_no_second_run(
    polling_flow, kantata_runtime, workspace, eager
):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)  # sets the starting point
    state.refresh_from_db()
    old_cursor = state.cursor
    made = [_entry(kantata_runtime, workspace) for _ in range(2)]
    first = actions.poll_trigger(state.pk)
    assert first.status == "run" and first.items == 2

    # The cursor goes back (a restored backup, an overlapping window): the same versions come again.
    PollingState.objects.filter(pk=state.pk).update(cursor=old_cursor)
    again = actions.poll_trigger(state.pk)
    assert (again.status, again.duplicates) == ("empty", 2)
    assert Run.objects.filter(flow=flow).count() == 1
    state.refresh_from_db()
    assert state.duplicates_skipped == 2 and state.echoes_skipped == 0

    # A new version of one of them is news, even from the old cursor.
    _next_second()
    kantata_runtime.run_action("update_time_entry", {"id": made[0], "notes": "changed by a person"})
    PollingState.objects.filter(pk=state.pk).update(cursor=old_cursor)
    changed = actions.poll_trigger(state.pk)
    assert (changed.status, changed.items, changed.duplicates) == ("run", 1, 1)
    assert [str(i["id"]) for i in Run.objects.get(pk=changed.run_id).input_items] == [made[0]]


def test_a_flows_own_write_back_starts_no_run_but_a_persons_change_does(
    admin, org, kantata, kantata_runtime, workspace, eager
):
    """Trigger on time entries -> update the same entry (the write-back): without echo suppression every
    run would start another one."""
    trigger = node(
        "poll",
        "psa.kantata.record_updated",
        {"connection": kantata.ref, "collection": "time_entries", "workspace_id": workspace["id"]},
    )
    stamp = node(
        "stamp",
        "psa.kantata.update_time_entry",
        {"connection": kantata.ref, "id": "{{ $item.id }}", "notes": "{{ 'synced by flowbuilder' }}"},
    )
    flow = flow_actions.create_flow(
        actor=admin,
        organisation=org,
        name="Stamp",
        document=document([trigger, stamp], [edge("poll", "stamp")]),
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    state = PollingState.objects.get(flow=flow)
    actions.poll_trigger(state.pk)

    entry = _entry(kantata_runtime, workspace)
    _next_second()  # the flow's write must be a new version, or the next poll would not even see it
    first = actions.poll_trigger(state.pk)
    assert first.status == "run"
    assert Run.objects.get(pk=first.run_id).status == RunStatus.SUCCEEDED
    mark = WriteMark.objects.get(organisation=org, system="kantata", record_id=entry)
    assert mark.object == "time_entries" and mark.modified_at is not None  # Kantata answered its version

    echo = actions.poll_trigger(state.pk)  # finds the entry again: changed by the flow itself
    assert (echo.status, echo.echoes) == ("empty", 1)
    state.refresh_from_db()
    assert state.echoes_skipped == 1 and state.runs_started == 1

    _next_second()
    kantata_runtime.run_action("update_time_entry", {"id": entry, "notes": "a person's change"})
    person = actions.poll_trigger(state.pk)
    assert (person.status, person.echoes) == ("run", 0)
    assert Run.objects.filter(flow=flow).count() == 2


def test_a_write_without_a_version_matches_changes_within_epsilon_only(org, settings):
    settings.FLOWBUILDER_ECHO_EPSILON_S = 5
    written = timezone.now()
    echoes.mark_written(org.pk, "salesforce", [RecordRef("opportunity", "006A")], written_at=written)
    refs = [
        RecordRef("opportunity", "006A", "v1", written + timedelta(seconds=1)),  # our write, system clock
        RecordRef("opportunity", "006A", "v2", written + timedelta(seconds=30)),  # a person, later
        RecordRef("account", "006A", "v1", written),  # another object with the same id
        RecordRef("opportunity", "006B", "v1", written),  # another record
        None,
    ]
    assert echoes.own_writes(org.pk, "salesforce", refs) == {0}
    assert echoes.own_writes(org.pk, "netsuite", refs) == set()  # another system
    assert echoes.own_writes(org.pk + 1000, "salesforce", refs) == set()  # another organisation


def test_a_write_is_an_echo_for_the_flow_that_made_it_and_news_for_the_next_flow(org):
    """Project to billing posts an invoice: its own poll ignores it, billing to cash must see it."""
    written = timezone.now()
    invoice = RecordRef("invoice", "20001", "", written)
    echoes.mark_written(org.pk, "netsuite", [invoice], written_at=written, flow_id=11)
    assert echoes.own_writes(org.pk, "netsuite", [invoice], flow_id=11) == {0}
    assert echoes.own_writes(org.pk, "netsuite", [invoice], flow_id=12) == set()
    echoes.mark_written(org.pk, "netsuite", [RecordRef("invoice", "20002", "", written)], written_at=written)
    outside = [RecordRef("invoice", "20002", "", written)]
    assert echoes.own_writes(org.pk, "netsuite", outside, flow_id=12) == {0}  # written outside any flow


def test_written_records_reads_object_id_and_version_from_the_answer():
    connectors = {c.key: c for c in load_connectors()}
    sf = connectors["salesforce"]
    update_many = sf.action("update_many")
    batch = [{"sobject": "Opportunity", "record": {"Id": "006A"}}, {"sobject": "Opportunity", "record": {}}]
    answer = [{"id": "006A", "success": True}, {"id": None, "success": False}]
    assert written_records(update_many, batch, answer) == [RecordRef("opportunity", "006A")]
    assert written_records(sf.action("query"), {"soql": "SELECT Id FROM Account"}, [{"Id": "001"}]) == []
    kantata = connectors["kantata"].action("update_time_entry")
    [ref] = written_records(kantata, {"id": "7"}, {"id": "7", "updated_at": "2026-01-07T10:00:01+00:00"})
    assert (ref.object, ref.id, ref.version) == ("time_entries", "7", "2026-01-07T10:00:01+00:00")
    assert ref.modified_at is not None


def test_prune_deletes_only_expired_bookkeeping(polling_flow, org):
    flow = polling_flow()
    state = PollingState.objects.get(flow=flow)
    past, now = timezone.now() - timedelta(days=2), timezone.now()
    ingress.claim_versions(state.pk, [RecordRef("x", "1", "v")], window_s=60, now=past)
    ingress.claim_versions(state.pk, [RecordRef("x", "2", "v")], window_s=60, now=now)
    assert ingress.claim_delivery(flow.pk, "old", 60, now=past)
    assert ingress.claim_delivery(flow.pk, "new", 60, now=now)
    echoes.mark_written(org.pk, "kantata", [RecordRef("x", "1")], written_at=past - timedelta(days=2))
    echoes.mark_written(org.pk, "kantata", [RecordRef("x", "2")])
    pruned = actions.prune_ingress_marks()
    assert pruned == {"deliveries": 1, "versions": 1, "write_marks": 1}
    assert list(SeenRecord.objects.values_list("record", flat=True)) == ["x:2"]
    assert list(WebhookDelivery.objects.values_list("key", flat=True)) == ["new"]
    assert WriteMark.objects.count() == 1


def test_an_expired_version_counts_as_new_again(polling_flow):
    state = PollingState.objects.get(flow=polling_flow())
    ref = RecordRef("time_entries", "1", "2026-01-07T10:00:00+00:00")
    long_ago = timezone.now() - timedelta(hours=2)
    assert ingress.claim_versions(state.pk, [ref, ref], window_s=3600, now=long_ago) == {0}
    assert ingress.claim_versions(state.pk, [ref], window_s=3600, now=long_ago) == set()
    assert ingress.claim_versions(state.pk, [ref, None], window_s=3600) == {0, 1}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("event.id", "e1"),
        ("/event/id", "e1"),
        ("lines.1.id", 2),
        ("/lines/0/id", 1),
        ("/a~1b", "slash"),
        ("event.missing", None),
        ("lines.9.id", None),
        ("event", {"id": "e1"}),
    ],
)
def test_delivery_id_paths_are_read_not_evaluated(path, expected):
    item = {"event": {"id": "e1"}, "lines": [{"id": 1}, {"id": 2}], "a/b": "slash"}
    assert ingress.value_at(item, path) == expected


def test_delivery_key_takes_scalars_only_and_hashes_long_ids():
    config = {"delivery_id_path": "id"}
    assert ingress.delivery_key(config, {}, [{"id": 42}]) == "42"
    assert ingress.delivery_key(config, {}, [{"id": {"nested": 1}}]) is None
    assert ingress.delivery_key(config, {}, [{"id": " "}]) is None
    assert ingress.delivery_key(config, {}, [{"id": "x" * 500}]).startswith("sha256:")
    assert ingress.delivery_key({"delivery_id_header": "X-Event-Id"}, {"X-Event-Id": "e-9"}, [{}]) == "e-9"
    assert ingress.delivery_key({}, {"X-Event-Id": "e-9"}, [{"id": 1}]) is None


def test_a_write_without_a_version_in_its_answer_is_marked_with_the_version_the_system_reports(org):
    """Salesforce answers an update with no version: the mark asks for it (one query), so a person's
    change a second later is a different version, not an echo."""
    from connectors.errors import ConnectorError
    from flowbuilder.crossref.store import OrganisationCrossref
    from flowbuilder.nodes.base import NodeContext
    from flowbuilder.nodes.connector_nodes import mark_writes

    sf = {c.key: c for c in load_connectors()}["salesforce"]
    asked: list[tuple[str, list[str]]] = []

    class System:  # the remote system's side of a connection handle
        connector_key = "salesforce"

        def __init__(self, answer):
            self.answer = answer

        def record_versions(self, obj, ids):
            asked.append((obj, list(ids)))
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    ctx = NodeContext(run_id=1, node_id="w", organisation_id=org.pk, crossref=OrganisationCrossref(org.pk))
    batch = [{"sobject": "Opportunity", "record": {"Id": "006A"}}]
    written = [{"id": "006A", "success": True}]
    mark_writes(
        ctx, System({"006A": "2026-01-07T10:00:01.000+0000"}), sf.action("update_many"), batch, written
    )
    assert asked == [("opportunity", ["006A"])]
    mark = WriteMark.objects.get(record_id="006A")
    assert mark.modified_at is not None and mark.modified_at.isoformat() == "2026-01-07T10:00:01+00:00"
    polled = RecordRef("opportunity", "006A", "v", mark.modified_at)
    person = RecordRef("opportunity", "006A", "v", mark.modified_at + timedelta(seconds=1))
    assert echoes.own_writes(org.pk, "salesforce", [polled, person]) == {0}

    WriteMark.objects.all().delete()
    mark_writes(ctx, System(ConnectorError("rate limited")), sf.action("update_many"), batch, written)
    fallback = WriteMark.objects.get(record_id="006A")
    assert fallback.version == "" and fallback.modified_at is None  # matched by write time instead
