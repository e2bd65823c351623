"""/metrics scraped while a run is queued and after it ran: the run and its node executions are counted,
per organisation; the endpoint answers only with the bearer token."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from flowbuilder.execution import actions
from flowbuilder.execution.engine import Engine
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import chain

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "scrape-me-0123456789"


def scrape(client: Client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_a_run_is_counted_while_queued_and_after_it_ran(settings, make_org, make_user):
    settings.FLOWBUILDER_METRICS_TOKEN = TOKEN
    org = make_org("Acme")
    admin = make_user("ada", org, "admin")
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="f", document=chain(2))
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    run = actions.start_run(actor=admin, flow=flow, input_items=[{"n": 1}])  # not eager: it waits, queued
    client = Client()
    during = scrape(client)
    label = (("organisation", org.slug), ("status", "queued"))
    assert during[("flowbuilder_runs_total", label)] == 1
    assert during[("flowbuilder_runs_active", label)] == 1
    Engine(run.pk).drive()  # what the worker does
    after = scrape(client)
    assert after[("flowbuilder_runs_total", (("organisation", org.slug), ("status", "succeeded")))] == 1
    assert (
        after[("flowbuilder_node_executions_total", (("organisation", org.slug), ("status", "succeeded")))]
        == 3
    )
    assert ("flowbuilder_runs_active", label) not in after
    assert ("flowbuilder_run_duration_seconds_total", (("organisation", org.slug),)) in after
    assert ("flowbuilder_queue_depth", ()) in after


def test_metrics_need_the_bearer_token(settings):
    client = Client()
    settings.FLOWBUILDER_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.FLOWBUILDER_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
