"""Exactly-once ingress on real parts (uvicorn, Celery worker and beat, the sandbox over HTTP, PostgreSQL,
Redis): 100 concurrent copies of one webhook delivery start one run, and a flow's own write back to the
record it polls starts no run while a person's later change to that record does."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.db import connection

from flowbuilder.credentials import runtime
from flowbuilder.devtools.demo import KANTATA_NETSUITE
from flowbuilder.execution.models import Run
from flowbuilder.flows import actions as flow_actions
from flowbuilder.triggers import webhooks
from flowbuilder.triggers.models import PollingState, WebhookDelivery
from tests.conftest import document, edge, node

from .conftest import (
    close_won_deal,
    live_lifecycle,
    settle_flows,
    wait_for_first_polls,
    wait_for_flows,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

COPIES = 100


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due polling triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def _deduplicating_flow(make_org: Any, make_user: Any) -> Any:
    org = make_org(f"Hooks {uuid.uuid4().hex[:6]}")
    user = make_user(f"hooks-{uuid.uuid4().hex[:6]}", org, "admin")
    doc = document(
        [
            node("t", "trigger.webhook", {"delivery_id_header": "X-Event-Id"}),
            node("m", "transform.map", {"fields": [{"name": "seen", "value": True}]}),
        ],
        [edge("t", "m")],
    )
    flow = flow_actions.create_flow(actor=user, organisation=org, name="Deduplicated", document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow


def test_100_concurrent_copies_of_a_delivery_start_exactly_one_run(
    live_server_url, worker, make_org, make_user
):
    flow = _deduplicating_flow(make_org, make_user)
    url = f"{live_server_url}/hooks/{flow.webhook_token}/"

    def deliver(n: int) -> requests.Response:
        return requests.post(url, json={"n": n}, headers={"X-Event-Id": "evt-100"}, timeout=60)

    with ThreadPoolExecutor(COPIES) as pool:
        answers = list(pool.map(deliver, range(COPIES)))
    assert {a.status_code for a in answers} == {202}
    run_ids = {a.json()["run_id"] for a in answers}
    assert len(run_ids) == 1
    assert sum(a.headers.get("X-Flowbuilder-Duplicate") == "1" for a in answers) == COPIES - 1
    assert Run.objects.filter(flow=flow).count() == 1
    [run_id] = run_ids
    run = wait_until(
        lambda: Run.objects.filter(pk=run_id, status="succeeded").first(), 30, "the one run never finished"
    )
    assert run.output_items[0]["seen"] is True
    # A waiting repeat gets the first run's result.
    waited = requests.post(url + "?wait=1", json={"n": -1}, headers={"X-Event-Id": "evt-100"}, timeout=30)
    assert waited.status_code == 200 and waited.json()["seen"] is True
    assert waited.headers["X-Flowbuilder-Run"] == str(run_id)
    assert Run.objects.filter(flow=flow).count() == 1


def test_concurrent_claims_in_separate_database_sessions_start_one_run(make_org, make_user):
    """The race itself, without the web server's thread pool in between: 20 sessions insert the same
    delivery id at once; the unique constraint lets one start the run, the others get its id."""
    flow = _deduplicating_flow(make_org, make_user)
    start = threading.Barrier(20)

    def deliver(n: int) -> tuple[int | None, bool]:
        try:
            start.wait()
            accepted = webhooks.accept(
                flow.webhook_token, b'{"n": 1}', "application/json", {}, {"X-Event-Id": "evt-race"}
            )
            return accepted.run.pk, accepted.duplicate
        finally:
            connection.close()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(deliver, range(20)))
    assert len({run_id for run_id, _ in results}) == 1
    assert sorted(duplicate for _, duplicate in results) == [False] + [True] * 19
    assert Run.objects.filter(flow=flow).count() == 1
    assert WebhookDelivery.objects.get(flow=flow, key="evt-race").run_id == results[0][0]


def test_a_flows_own_write_back_starts_no_run_but_a_persons_change_does(
    worker, start_beat, sandbox, make_org, make_user, settings
):
    """Quote to project writes the project reference back to the Closed Won opportunity it polls. That
    write changes the opportunity's LastModifiedDate: before echo suppression it started a second run
    (18 of 27 nodes skipped) for every deal."""
    runtime.clear_cache()
    tag = f"EC{uuid.uuid4().hex[:8]}"

    def values_for(spec: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"poll_seconds": 5 if spec["key"] == "project_to_billing" else 1}
        if spec["key"] == "quote_to_project":
            values["won_filter"] = f"StageName = 'Closed Won' AND Name LIKE '{tag}%'"
        return values

    live = live_lifecycle(
        sandbox=sandbox,
        make_org=make_org,
        make_user=make_user,
        name="Echoes",
        systems=KANTATA_NETSUITE,
        values_for=values_for,
    )
    flows, quote = live.flows, live.flows["quote_to_project"]
    sf = runtime.open_connection(live.customer.pk, live.connections["salesforce"].ref)
    start_beat()
    wait_for_first_polls(flows)

    # Finance set the customer up for billing: the handover checks its payment terms before any project.
    ns = runtime.open_connection(live.customer.pk, live.connections["netsuite"].ref)
    ns.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": f"{tag} Echo Ltd", "terms": {"id": "2"}}},
    )
    _, opp = close_won_deal(sf, account_name=f"{tag} Echo Ltd", opportunity_name=f"{tag} Echo rollout")

    def read_opp() -> dict[str, Any]:
        soql = f"SELECT Id, Flowbuilder_Id__c, LastModifiedDate FROM Opportunity WHERE Id = '{opp['id']}'"
        return sf.run_action("query", {"soql": soql})[0]

    wait_for_flows(flows, lambda: read_opp().get("Flowbuilder_Id__c"), 45, "no write-back")
    settle_flows(flows)
    trigger = PollingState.objects.get(flow=quote)
    # The trigger polls every second: give it several polls after the write-back.
    written_back = time.monotonic()
    wait_until(
        lambda: PollingState.objects.get(pk=trigger.pk).echoes_skipped >= 1, 20, "the echo was never seen"
    )
    time.sleep(max(0.0, 3 - (time.monotonic() - written_back)))
    assert Run.objects.filter(flow=quote).count() == 1, "the flow's own write-back started a run"

    # A person edits the same opportunity later (past the echo epsilon): that is news.
    time.sleep(settings.FLOWBUILDER_ECHO_EPSILON_S + 0.5)
    sf.run_action(
        "update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"NextStep": "Kick-off call"}}
    )
    wait_for_flows(
        flows, lambda: Run.objects.filter(flow=quote).count() == 2, 20, "the person's change ran nothing"
    )
    settle_flows(flows)
    second = Run.objects.filter(flow=quote).order_by("-id").first()
    assert [i["Id"] for i in second.input_items] == [opp["id"]]
    state = PollingState.objects.get(pk=trigger.pk)
    assert state.runs_started == 2 and state.echoes_skipped >= 1
