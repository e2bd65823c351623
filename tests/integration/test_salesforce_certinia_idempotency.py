"""Creates in Salesforce and Certinia survive a worker killed mid-call, on real parts: the sandbox over HTTP,
Celery worker and beat subprocesses, PostgreSQL and Redis.

The worker is SIGKILLed while the sandbox holds the create (a latency fault on the PATCH: the org makes the
record, the worker never hears back). A new worker resumes the run; the create runs again with the same
idempotency key, finds the first attempt's record by its external id, and the org holds exactly one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.live_stack import wait_until

from .conftest import node_errors, wait_for_run_row

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(make_org):
    return make_org("Idempotent creates")  # its egress allow-list has 127.0.0.1: the sandbox is local


@pytest.fixture
def admin(org, make_user):
    return make_user(f"ops-{uuid.uuid4().hex[:6]}", org, "admin")


def _connection(sandbox: Any, admin: Any, org: Any, connector: str) -> Any:
    """Salesforce and Certinia both live on the org's Salesforce API."""
    return credential_actions.create_connection(
        actor=admin,
        organisation=org,
        name=f"{connector} sandbox",
        connector=connector,
        base_url=f"{sandbox.url}/salesforce",
        credential_type="oauth2_client_credentials",
        credentials=sandbox.token_secrets("salesforce"),
    )


def _kill_during_create(
    sandbox, admin, org, start_worker, start_beat, *, connector, node_type, values, sobject, name
):
    runtime.clear_cache()
    connection = _connection(sandbox, admin, org, connector)
    checker = connection if connector == "salesforce" else _connection(sandbox, admin, org, "salesforce")
    handle = runtime.open_connection(org.pk, checker.ref)  # reads the org with SOQL
    account = (
        handle.run_action("query", {"soql": "SELECT Id FROM Account ORDER BY Id LIMIT 1"})
        if connector == "salesforce"
        else None
    )
    config = {"connection": connection.ref, **values(account[0]["Id"] if account else None)}
    flow = flow_actions.create_flow(
        actor=admin,
        organisation=org,
        name=f"Create {sobject}",
        document=document(
            [
                node("t", "trigger.manual"),
                node("create", node_type, config, retry={"max_attempts": 1, "backoff_s": 1}),
            ],
            [edge("t", "create")],
        ),
    )
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    # The org receives the create and holds the answer for 6 s: the worker dies waiting for it.
    sandbox.fault(
        "salesforce",
        kind="latency",
        latency_ms=6000,
        method="PATCH",
        path_prefix=f"/services/data/v60.0/sobjects/{sobject}/",
    )
    first = start_worker()
    run = run_actions.start_run(actor=admin, flow=flow, input_items=[{}])
    wait_until(
        lambda: NodeRun.objects.filter(run=run, node_id="create", status="running").exists(),
        30,
        "the create node never started",
    )
    time.sleep(1.5)  # the lookup (GET) is answered at once; the PATCH is now held by the sandbox
    first.kill()
    assert first.popen.returncode == -9
    key = f"fb-{run.pk}-create-0"
    soql = f"SELECT Id FROM {sobject} WHERE External_Id__c = '{key}'"  # noqa: S608 (our own key)
    made = wait_until(lambda: handle.run_action("query", {"soql": soql}), 20, "the org never made the record")
    assert len(made) == 1  # the first attempt did create it; its answer was lost with the worker

    start_beat()
    start_worker()
    run = wait_for_run_row(run, timeout=60)
    assert run.status == "succeeded", node_errors(run)
    attempts = NodeRun.objects.get(run=run, node_id="create").attempt
    assert attempts >= 2, "the create ran again after the kill"
    result = run.output_items[0]
    assert result["id"] == made[0]["Id"] and result["created"] is False
    assert [r["Id"] for r in handle.run_action("query", {"soql": soql})] == [made[0]["Id"]]  # exactly one
    by_name = f"SELECT Id FROM {sobject} WHERE Name = '{name}'"  # noqa: S608 (our own name)
    assert [r["Id"] for r in handle.run_action("query", {"soql": by_name})] == [made[0]["Id"]]
    sandbox.clear_faults()
    runtime.clear_cache()


def test_certinia_project_created_once_when_the_worker_dies_mid_create(
    sandbox, admin, org, start_worker, start_beat
):
    tag = uuid.uuid4().hex[:8]
    _kill_during_create(
        sandbox,
        admin,
        org,
        start_worker,
        start_beat,
        connector="certinia",
        node_type="psa.certinia.create_project",
        values=lambda _account: {"name": f"Killed mid-create {tag}", "is_billable": True},
        sobject="pse__Proj__c",
        name=f"Killed mid-create {tag}",
    )


def test_salesforce_contract_created_once_when_the_worker_dies_mid_create(
    sandbox, admin, org, start_worker, start_beat
):
    tag = uuid.uuid4().hex[:8]
    _kill_during_create(
        sandbox,
        admin,
        org,
        start_worker,
        start_beat,
        connector="salesforce",
        node_type="crm.salesforce.create_contract",
        values=lambda account: {
            "account_id": account,
            "name": f"Killed mid-create {tag}",
            "status": "Draft",
            "start_date": "2026-01-01",
            "term_months": 12,
        },
        sobject="Contract",
        name=f"Killed mid-create {tag}",
    )
