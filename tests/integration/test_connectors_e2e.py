"""Connectors end to end on real parts: the sandbox (emulated Salesforce, NetSuite, Kantata) over HTTP,
Celery worker and beat subprocesses, PostgreSQL and Redis. Nothing is mocked.

(a) A closed-won opportunity's account becomes one NetSuite customer through the cross-reference store,
    however often the run is replayed or retried.
(b) A Kantata polling trigger, driven by beat, picks up new time entries across polls with no gaps and
    no duplicates, one run per batch.
"""

from __future__ import annotations

import uuid

import pytest

from flowbuilder.credentials import runtime
from flowbuilder.crossref.models import SyncLink
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, Run
from flowbuilder.flows import actions as flow_actions
from flowbuilder.triggers.models import PollingState
from tests.support.connections import sandbox_connection
from tests.support.documents import document, edge, node
from tests.support.live_stack import wait_until

from .conftest import node_errors, wait_for_run_row

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due triggers every second here (5 s by default)."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


@pytest.fixture
def org(make_org):
    return make_org("Quote to cash")  # its egress allow-list has 127.0.0.1: the sandbox is local


@pytest.fixture
def admin(org, make_user):
    return make_user(f"ops-{uuid.uuid4().hex[:6]}", org, "admin")


@pytest.fixture
def connect(admin, org, sandbox):
    runtime.clear_cache()

    def make(system: str):
        return sandbox_connection(sandbox, actor=admin, organisation=org, system=system)

    yield make
    runtime.clear_cache()


# --------------------------------------------------------------------------- (a) opportunity -> customer
def opportunity_to_customer(salesforce_ref: str, netsuite_ref: str) -> dict:
    soql = (
        "SELECT Id, Name, AccountId, Account.Id, Account.Name, Account.BillingCountry, "
        "Account.LastModifiedDate FROM Opportunity "
        "WHERE Id = '{{ $item.opportunity_id }}' AND StageName = 'Closed Won'"
    )
    return document(
        [
            node("won", "trigger.manual"),
            node("opp", "crm.salesforce.query", {"connection": salesforce_ref, "soql": soql}),
            node(
                "canon",
                "canonical.to",
                {
                    "system": "salesforce",
                    "entity": "customer",
                    "record_field": "Account",
                    "target_field": "customer",
                },
            ),
            node(
                "fields",
                "canonical.from",
                {
                    "system": "netsuite",
                    "entity": "customer",
                    "canonical_field": "customer",
                    "target_field": "ns",
                },
            ),
            node(
                "upsert",
                "sync.upsert_crossref",
                {
                    "connection": netsuite_ref,
                    "entity": "customer",
                    "source_system": "salesforce",
                    "source_id": "{{ $item.AccountId }}",
                    "target_system": "netsuite",
                    "create_action": "create_record",
                    "update_action": "update_record",
                    "values": {"record_type": "customer", "fields": "{{ $item.ns }}"},
                    "id_path": "id",
                    "update_id_field": "id",
                },
                retry={"max_attempts": 1, "backoff_s": 1},
            ),
        ],
        [edge("won", "opp"), edge("opp", "canon"), edge("canon", "fields"), edge("fields", "upsert")],
    )


def test_won_opportunity_upserts_one_netsuite_customer_across_replay_and_retry(
    worker, sandbox, org, admin, connect
):
    salesforce, netsuite = connect("salesforce"), connect("netsuite")
    sf = runtime.open_connection(org.pk, salesforce.ref)
    ns = runtime.open_connection(org.pk, netsuite.ref)
    name = f"Northwind Won {uuid.uuid4().hex[:8]}"
    account = sf.run_action(
        "create", {"sobject": "Account", "fields": {"Name": name, "BillingCountry": "gb"}}
    )
    opportunity = sf.run_action(
        "create",
        {
            "sobject": "Opportunity",
            "fields": {
                "Name": f"{name} - rollout",
                "AccountId": account["id"],
                "StageName": "Closed Won",
                "CloseDate": "2026-01-15",
                "Amount": 120000,
            },
        },
    )
    writes_before = sandbox.requests_by_object(("POST", "PUT"))
    flow = flow_actions.create_flow(
        actor=admin,
        organisation=org,
        name="Won -> customer",
        document=opportunity_to_customer(salesforce.ref, netsuite.ref),
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()

    first = wait_for_run_row(
        run_actions.start_run(actor=admin, flow=flow, input_items=[{"opportunity_id": opportunity["id"]}])
    )
    assert first.status == "succeeded", node_errors(first)
    assert first.output_items[0]["created"] is True
    customer_id = first.output_items[0]["target_id"]

    replay = wait_for_run_row(run_actions.replay_run(actor=admin, run=first))
    assert replay.status == "succeeded", node_errors(replay)
    assert (replay.output_items[0]["created"], replay.output_items[0]["target_id"]) == (False, customer_id)

    # A run that fails at the upsert (NetSuite refuses), then the operator retries it from that node.
    sandbox.admin(
        "POST",
        "/_admin/faults",
        {
            "system": "netsuite",
            "path_prefix": "/services/rest/record",
            "kind": "status",
            "status": 400,
            "count": -1,
        },
    )
    try:
        failing = wait_for_run_row(run_actions.replay_run(actor=admin, run=first))
    finally:
        sandbox.admin("DELETE", "/_admin/faults")
    assert (
        failing.status == "failed" and NodeRun.objects.get(run=failing, node_id="upsert").status == "failed"
    )
    retried = wait_for_run_row(run_actions.retry_run(actor=admin, run=failing))
    assert retried.status == "succeeded", node_errors(retried)
    assert retried.output_items[0]["target_id"] == customer_id
    assert NodeRun.objects.get(run=retried, node_id="opp").attempt == 1  # carried over, not re-queried

    count = ns.run_action(
        "suiteql", {"query": f"SELECT COUNT(*) AS n FROM customer WHERE companyname = '{name}'"}
    )
    assert int(count[0]["n"]) == 1
    writes = sandbox.requests_by_object(("POST", "PUT"))
    # One create (an upsert by the step's external id, PUT eid:...), no POST; every other write a PATCH.
    assert writes.get("netsuite PUT customer", 0) - writes_before.get("netsuite PUT customer", 0) == 1
    assert writes.get("netsuite POST customer", 0) == writes_before.get("netsuite POST customer", 0)
    links = SyncLink.objects.filter(organisation=org, entity="customer")
    assert links.values("canonical_id").distinct().count() == 1  # one link: salesforce <-> netsuite
    assert sorted(links.values_list("system", "external_id")) == [
        ("netsuite", customer_id),
        ("salesforce", account["id"]),
    ]


# --------------------------------------------------------------------------- (b) polling trigger
def test_polling_trigger_picks_up_time_entries_across_polls(worker, start_beat, sandbox, org, admin, connect):
    kantata = connect("kantata")
    kt = runtime.open_connection(org.pk, kantata.ref)
    workspace = kt.run_action(
        "create_workspace", {"title": "Polled", "currency": "USD", "start_date": "2026-01-05", "price": 50000}
    )
    doc = document(
        [
            node(
                "entries",
                "psa.kantata.record_updated",
                {
                    "connection": kantata.ref,
                    "collection": "time_entries",
                    "workspace_id": workspace["id"],
                    "interval_s": 1,
                },
            ),
            node("canon", "canonical.to", {"system": "kantata", "entity": "time_entry"}),
        ],
        [edge("entries", "canon")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="Time entries", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    start_beat()
    state = PollingState.objects.get(flow=flow)

    def polled_once() -> bool:
        state.refresh_from_db()
        return state.cursor is not None

    wait_until(polled_once, 30, "the trigger never polled", interval=0.2)
    base = {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 45}
    made: list[str] = []
    for batch in (3, 2):
        before = Run.objects.filter(flow=flow).count()
        made += [str(kt.run_action("create_time_entry", base)["id"]) for _ in range(batch)]
        wait_until(
            lambda before=before: Run.objects.filter(flow=flow).count() > before,
            30,
            "no run for the new time entries",
            interval=0.2,
        )
    runs = list(Run.objects.filter(flow=flow).order_by("id"))
    for run in runs:
        assert wait_for_run_row(run).status == "succeeded", node_errors(run)
        assert run.origin == "schedule"
        assert all(item["source_system"] == "kantata" for item in run.output_items)
    seen = [str(item["id"]) for run in runs for item in run.input_items]
    assert sorted(seen) == sorted(made)  # every entry once: no gap, no duplicate
    state.refresh_from_db()
    polls_before = state.generation
    wait_until(
        lambda: PollingState.objects.get(pk=state.pk).generation >= polls_before + 2, 20, "polling stopped"
    )
    assert Run.objects.filter(flow=flow).count() == len(runs)  # later polls found nothing new: no runs
    state.refresh_from_db()
    assert state.consecutive_failures == 0 and state.last_error == ""
