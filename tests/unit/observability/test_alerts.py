"""Alerts against a local HTTP endpoint (Slack, Teams, generic webhook) and Django's mail outbox: one
alert per open incident, escalation after a delay, quiet hours, acknowledge and resolve, partner rules
over customers, and no customer ever receiving another's alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution.models import FailureRecord, Run
from flowbuilder.flows import actions as flow_actions
from flowbuilder.observability import alerts
from flowbuilder.observability.alert_models import AlertDelivery, AlertRule, Incident
from flowbuilder.tenancy.models import OrganisationKind
from tests.support.documents import manual_document

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def flow_of(org: Any, admin: Any, criticality: str = "critical") -> Any:
    flow = flow_actions.create_flow(
        actor=admin, organisation=org, name=f"Orders {org.name}", document=manual_document()
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    flow.criticality = criticality
    flow.save(update_fields=["criticality"])
    return flow


def fail(flow: Any, at: dt.datetime, n: int = 1) -> None:
    for _ in range(n):
        run = Run.objects.create(
            organisation_id=flow.organisation_id,
            flow=flow,
            version_id=flow.published_version_id,
            status="failed",
        )
        record = FailureRecord.objects.create(
            organisation_id=flow.organisation_id,
            flow=flow,
            run=run,
            kind="run",
            node_id="n",
            category="timeout",
            message="slow",
        )
        FailureRecord.objects.filter(pk=record.pk).update(created_at=at)


@pytest.fixture
def world(make_org, make_user, endpoint):
    partner = make_org("Northwind", kind=OrganisationKind.PARTNER)
    a = make_org("Alpha", parent=partner)
    b = make_org("Beta", parent=partner)
    admin_a = make_user("ann", a, "admin")
    admin_b = make_user("bob", b, "admin")
    admin_p = make_user("pat", partner, "admin")
    for path in ("/slack", "/teams", "/hook", "/pager", "/b-hook", "/partner"):
        endpoint.route(path, lambda n, body: (200, {}, {"ok": True}))
    return {
        "partner": partner,
        "a": a,
        "b": b,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "admin_p": admin_p,
        "url": endpoint.url,
    }


def rule(world: Any, org_key: str, admin_key: str, **values: Any) -> AlertRule:
    values.setdefault("name", "Critical runs failed")
    values.setdefault("kind", "run_failed")
    values.setdefault("params", {"criticality": ["critical"]})
    r = alerts.save_rule(actor=world[admin_key], organisation=world[org_key], **values)
    AlertRule.objects.filter(pk=r.pk).update(last_evaluated_at=T0 - dt.timedelta(minutes=1))
    r.refresh_from_db()
    return r


def test_each_channel_receives_one_alert_per_open_incident(world, endpoint):
    url = world["url"]
    r = rule(
        world,
        "a",
        "admin_a",
        channels=[
            {"kind": "slack", "target": url + "/slack"},
            {"kind": "teams", "target": url + "/teams"},
            {"kind": "webhook", "target": url + "/hook"},
            {"kind": "email", "target": "ops@alpha.test"},
        ],
    )
    flow = flow_of(world["a"], world["admin_a"])
    fail(flow, T0 + dt.timedelta(seconds=10), n=3)
    assert alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=1)) == {"opened": 1, "sent": 4}
    assert endpoint.bodies["/slack"][0]["text"].startswith("Runs of “Orders Alpha” failed — Alpha")
    teams = endpoint.bodies["/teams"][0]
    assert teams["type"] == "message"
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert teams["attachments"][0]["content"]["body"][0]["text"] == "Runs of “Orders Alpha” failed"
    hook = endpoint.bodies["/hook"][0]
    assert hook["organisation"]["name"] == "Alpha" and hook["detail"]["failed_runs"] == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@alpha.test"]
    # More failures while the incident is open: counted on it, nothing sent again.
    fail(flow, T0 + dt.timedelta(minutes=1, seconds=30), n=2)
    r.refresh_from_db()
    assert alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=2)) == {"opened": 0, "sent": 0}
    incident = Incident.objects.get()
    assert incident.occurrences == 2 and endpoint.calls["/slack"] == 1 and len(mail.outbox) == 1
    # Resolved, then failing again: a new incident, a new alert.
    alerts.resolve(actor=world["admin_a"], incident=incident)
    fail(flow, T0 + dt.timedelta(minutes=2, seconds=30))
    r.refresh_from_db()
    assert alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=3))["opened"] == 1
    assert endpoint.calls["/slack"] == 2 and Incident.objects.count() == 2


def test_escalation_after_the_delay_unless_acknowledged(world, endpoint):
    url = world["url"]
    r = rule(
        world,
        "a",
        "admin_a",
        channels=[{"kind": "slack", "target": url + "/slack"}],
        escalation_channels=[{"kind": "webhook", "target": url + "/pager"}],
        escalate_after_minutes=30,
    )
    flow = flow_of(world["a"], world["admin_a"])
    fail(flow, T0)
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=1))
    r.refresh_from_db()
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=20))
    assert endpoint.calls["/pager"] == 0
    r.refresh_from_db()
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=40))
    assert endpoint.calls["/pager"] == 1 and endpoint.bodies["/pager"][0]["escalation"] is True
    r.refresh_from_db()
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=50))
    assert endpoint.calls["/pager"] == 1  # once
    # A second incident acknowledged in time is never escalated.
    other = flow_of(world["a"], world["admin_a"])
    fail(other, T0 + dt.timedelta(minutes=55))
    r.refresh_from_db()
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=56))
    alerts.acknowledge(actor=world["admin_a"], incident=Incident.objects.get(key=f"flow:{other.pk}"))
    r.refresh_from_db()
    alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=120))
    assert endpoint.calls["/pager"] == 1


def test_quiet_hours_hold_the_alert_until_they_end(world, endpoint):
    r = rule(
        world,
        "a",
        "admin_a",
        channels=[{"kind": "slack", "target": world["url"] + "/slack"}],
        quiet_start=dt.time(22, 0),
        quiet_end=dt.time(7, 0),
        timezone="Europe/Berlin",
    )
    night = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)  # 00:30 in Berlin
    AlertRule.objects.filter(pk=r.pk).update(last_evaluated_at=night - dt.timedelta(minutes=1))
    r.refresh_from_db()
    fail(flow_of(world["a"], world["admin_a"]), night - dt.timedelta(seconds=20))
    assert alerts.evaluate_rule(r, night) == {"opened": 1, "sent": 0}
    r.refresh_from_db()
    assert alerts.evaluate_rule(r, night + dt.timedelta(hours=5))["sent"] == 0  # 05:30 Berlin: still quiet
    r.refresh_from_db()
    assert alerts.evaluate_rule(r, night + dt.timedelta(hours=6, minutes=31))["sent"] == 1  # 07:01 Berlin
    assert endpoint.calls["/slack"] == 1


def test_a_customer_never_receives_another_customers_alert_and_partner_rules_cover_all(world, endpoint):
    url = world["url"]
    mine = rule(world, "a", "admin_a", channels=[{"kind": "webhook", "target": url + "/hook"}])
    theirs = rule(world, "b", "admin_b", channels=[{"kind": "webhook", "target": url + "/b-hook"}])
    partner = rule(world, "partner", "admin_p", channels=[{"kind": "webhook", "target": url + "/partner"}])
    fail(flow_of(world["b"], world["admin_b"]), T0 + dt.timedelta(seconds=5))
    for r in (mine, theirs, partner):
        alerts.evaluate_rule(r, T0 + dt.timedelta(minutes=1))
    assert endpoint.calls["/hook"] == 0  # Alpha's channel: nothing about Beta
    assert endpoint.calls["/b-hook"] == 1
    assert (
        endpoint.calls["/partner"] == 1 and endpoint.bodies["/partner"][0]["organisation"]["name"] == "Beta"
    )
    assert set(Incident.objects.values_list("organisation__name", flat=True)) == {"Beta"}
    assert AlertDelivery.objects.filter(target__endswith="/hook").count() == 0


def test_other_conditions_and_bad_rules(world):
    burst = rule(world, "a", "admin_a", kind="failure_burst", params={"count": 3, "minutes": 10}, channels=[])
    flow = flow_of(world["a"], world["admin_a"], criticality="low")
    fail(flow, T0 - dt.timedelta(minutes=2), n=2)
    assert alerts.evaluate_rule(burst, T0)["opened"] == 0
    fail(flow, T0 - dt.timedelta(minutes=1))
    burst.refresh_from_db()
    assert alerts.evaluate_rule(burst, T0)["opened"] == 1
    critical_only = rule(world, "a", "admin_a", channels=[])
    assert alerts.evaluate_rule(critical_only, T0)["opened"] == 0  # the failures were of a low flow
    for values, field in (
        ({"kind": "nope"}, "kind"),
        ({"kind": "failure_burst", "params": {"count": 0, "minutes": 5}}, "params"),
        ({"channels": [{"kind": "email", "target": "not-an-address"}]}, "channels"),
        ({"channels": [{"kind": "slack", "target": "ftp://x"}]}, "channels"),
        ({"quiet_start": dt.time(1, 0)}, "quiet_end"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ):
        payload = {"name": "x", "kind": "run_failed", "params": {}, "channels": [], **values}
        with pytest.raises(InvalidInputError) as err:
            alerts.save_rule(actor=world["admin_a"], organisation=world["a"], **payload)
        assert err.value.field == field, values
