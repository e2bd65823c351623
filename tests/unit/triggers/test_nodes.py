"""The node types this app relies on: connector polling triggers and trigger.schedule, plus schedule
triggers polled into runs. (The canonical to/from nodes: tests/unit/nodes/test_canonical_nodes.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from flowbuilder.core import cron
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows import actions as flow_actions
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.registry import load_registry
from flowbuilder.triggers import actions
from flowbuilder.triggers.models import PollingState, TriggerKind
from flowbuilder.triggers.schedule import TriggerSpec, backoff, next_cron_time, next_due, preview
from flowbuilder.validation import validate_document
from tests.support.documents import document, edge, node

CTX = NodeContext(run_id=1, node_id="n", organisation_id=1)


def _codes(doc):
    return [(f.code, f.node_id, f.field) for f in validate_document(doc) if f.severity == "error"]


def test_every_connector_trigger_is_a_trigger_node():
    registry = load_registry()
    polling = {
        c.type
        for c in registry
        if c.is_trigger and c.type.count(".") == 2 and not c.type.startswith("trigger.")
    }
    assert polling == {
        "crm.salesforce.record_updated",
        "psa.kantata.record_updated",
        "psa.certinia.record_updated",
        "erp.netsuite.record_updated",
        "erp.dynamics.record_updated",
    }
    cls = registry.get("psa.kantata.record_updated")
    schema = cls.describe()["config_schema"]
    assert schema["required"][0] == "connection" and "collection" in schema["required"]
    assert schema["properties"]["connection"]["x-connection"] == "kantata"
    assert schema["properties"]["interval_s"]["default"] == cls.trigger.default_interval_s
    assert cls.describe()["inputs"] == [] and cls.category == "PSA" and cls.is_trigger
    config = {"connection": "conn_1", "interval_s": 30, "collection": "time_entries"}
    assert cls.poll_config(config) == {"collection": "time_entries"} and cls.interval_s(config) == 30
    items = [{"id": "1"}, {"id": "2"}]
    assert cls(config).run(CTX, {"main": items}) == {"main": items}  # the run's input passes through


def test_trigger_node_config_is_validated_on_save():
    ok = document(
        [node("p", "psa.kantata.record_updated", {"connection": "conn_1", "collection": "time_entries"})], []
    )
    assert _codes(ok) == []
    bad = document(
        [
            node(
                "p",
                "psa.kantata.record_updated",
                {"connection": "conn_1", "collection": "nope", "interval_s": 0},
            )
        ],
        [],
    )
    assert {c[0] for c in _codes(bad)} == {"config_invalid"} and len(_codes(bad)) == 2


def test_schedule_node_validates_cron():
    good = document([node("s", "trigger.schedule", {"mode": "cron", "cron": "*/5 * * * 1-5"})], [])
    assert _codes(good) == []
    bad = document([node("s", "trigger.schedule", {"mode": "cron", "cron": "61 * * * *"})], [])
    assert [(c[0], c[2]) for c in _codes(bad)] == [("config_invalid", "cron")]


def test_schedule_timing_and_backoff():
    now = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)
    cron = TriggerSpec(
        "s", "trigger.schedule", TriggerKind.SCHEDULE, {"mode": "cron", "cron": "*/15 * * * *"}
    )
    assert next_due(cron, now) == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    every = TriggerSpec("s", "trigger.schedule", TriggerKind.SCHEDULE, {"mode": "interval", "interval_s": 90})
    assert next_due(every, now) == now + timedelta(seconds=90)
    assert next_cron_time("0 6 * * 1-5", datetime(2026, 3, 6, 7, 0, tzinfo=UTC)) == datetime(
        2026, 3, 9, 6, 0, tzinfo=UTC
    )  # Friday after 06:00 -> Monday 06:00
    assert next_cron_time("30 1 1 * *", now) == datetime(2026, 4, 1, 1, 30, tzinfo=UTC)
    assert next_cron_time("*/15 * * * *", datetime(2026, 3, 2, 10, 15, tzinfo=UTC)) == datetime(
        2026, 3, 2, 10, 30, tzinfo=UTC
    )
    assert 54 <= backoff(60, 1) <= 66 and 216 <= backoff(60, 3) <= 264
    assert backoff(60, 30) <= 3600 * 1.1 and backoff(60, 1, retry_after=500) == 500


@pytest.mark.django_db(transaction=True)
def test_schedule_trigger_starts_runs_on_its_ticks(admin, org, eager):
    doc = document(
        [
            node("s", "trigger.schedule", {"mode": "interval", "interval_s": 600}),
            node("m", "transform.map", {}),
        ],
        [edge("s", "m")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="nightly", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    state = PollingState.objects.get(flow=flow)
    assert state.kind == TriggerKind.SCHEDULE
    assert state.next_poll_at > timezone.now() + timedelta(seconds=590)  # waits for its first tick
    assert actions.claim_due() == []
    PollingState.objects.filter(pk=state.pk).update(next_poll_at=timezone.now())
    assert actions.claim_due() == [state.pk]
    outcome = actions.poll_trigger(state.pk)
    run = Run.objects.get(pk=outcome.run_id)
    assert run.status == RunStatus.SUCCEEDED and run.origin == "schedule"
    assert run.input_items[0]["node_id"] == "s" and "scheduled_at" in run.input_items[0]


# --- canonical nodes -----------------------------------------------------------------------------------


def test_webhook_delivery_id_is_a_header_or_a_path_never_an_expression():
    from flowbuilder.nodes.builtins.triggers import WebhookTrigger

    assert WebhookTrigger.extra_findings({"delivery_id_header": "X-Event-Id"}) == []
    assert WebhookTrigger.extra_findings({"delivery_id_path": "event.id"}) == []
    assert WebhookTrigger.extra_findings({"delivery_id_path": "/event/id"}) == []
    for bad in ("$item.id", "event..id", "{{ $item.id }}", "a b"):
        assert [f for f, _ in WebhookTrigger.extra_findings({"delivery_id_path": bad})] == [
            "delivery_id_path"
        ]
    bad_header = WebhookTrigger.extra_findings({"delivery_id_header": "X-Event Id:"})
    assert [f for f, _ in bad_header] == ["delivery_id_header"]
    both = WebhookTrigger.extra_findings({"delivery_id_header": "X-Id", "delivery_id_path": "id"})
    assert [f for f, _ in both] == ["delivery_id_path"]


BERLIN = ZoneInfo("Europe/Berlin")


def test_cron_runs_in_the_organisations_time_zone_summer_and_winter():
    winter = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # Berlin is UTC+1
    assert next_cron_time("0 6 * * 1-5", winter, BERLIN) == datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 6, 0, 0, tzinfo=UTC)  # UTC+2
    assert next_cron_time("0 6 * * 1-5", summer, BERLIN) == datetime(2026, 7, 6, 4, 0, tzinfo=UTC)


def test_spring_forward_a_daily_0230_job_runs_once_when_the_clock_jumps():
    """29 March 2026 in Berlin: 02:00 -> 03:00, so 02:30 does not exist; cronsim (like Debian cron) runs
    the job once, at 03:00 local (01:00 UTC)."""
    ticks = cron.next_fire_times("30 2 * * *", datetime(2026, 3, 28, 12, 0, tzinfo=UTC), BERLIN, 3)
    assert [t.isoformat() for t in ticks] == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    assert ticks[0].astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_fall_back_a_daily_0230_job_runs_once_and_a_half_hourly_job_twice():
    """25 October 2026 in Berlin: 03:00 -> 02:00, so 02:30 happens twice."""
    daily = cron.next_fire_times("30 2 * * *", datetime(2026, 10, 24, 12, 0, tzinfo=UTC), BERLIN, 3)
    assert [t.astimezone(UTC).isoformat() for t in daily] == [
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST, the first pass; not again at 02:30 CET
        "2026-10-26T01:30:00+00:00",
        "2026-10-27T01:30:00+00:00",
    ]
    half_hourly = cron.next_fire_times("*/30 * * * *", datetime(2026, 10, 24, 23, 50, tzinfo=UTC), BERLIN, 4)
    assert [t.isoformat() for t in half_hourly] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
    ]


def test_schedule_preview_interval_and_bad_cron():
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    ticks = preview({"mode": "interval", "interval_s": 600}, now, BERLIN)
    assert [t.astimezone(UTC) for t in ticks] == [now + timedelta(minutes=10 * i) for i in range(1, 6)]
    with pytest.raises(ValueError, match="minute"):
        preview({"mode": "cron", "cron": "61 * * * *"}, now, BERLIN)
    with pytest.raises(ValueError, match="day-of-month"):
        preview({"mode": "cron", "cron": "0 0 30 2 *"}, now, BERLIN)
