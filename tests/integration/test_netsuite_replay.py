"""A NetSuite create survives its worker dying at the worst moment, on real parts: PostgreSQL, Redis, Celery
worker and beat subprocesses, and the sandbox over HTTP.

A proxy between the worker and the sandbox forwards the create (``PUT .../eid:<step key>``), so NetSuite has
made the record, and holds the answer; the worker is SIGKILLed right then, before it can record that the
step is done. A new worker resumes the run and sends the create again, with the same external id: NetSuite
updates the record it already has, and there is exactly one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.holding_proxy import HoldingProxy
from tests.support.live_stack import Proc

from .conftest import node_errors, wait_for_run_row

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(make_org):
    return make_org("Replay Co")  # its egress allow-list has 127.0.0.1: the proxy and sandbox are local


@pytest.fixture
def admin(org, make_user):
    return make_user(f"ops-{uuid.uuid4().hex[:6]}", org, "admin")


@pytest.fixture
def proxied(sandbox) -> Iterator[Callable[[str], HoldingProxy]]:
    proxies: list[HoldingProxy] = []

    def make(record_type: str) -> HoldingProxy:
        proxy = HoldingProxy(
            sandbox.url, ("PUT", rf"/netsuite/services/rest/record/v1/{record_type}/eid:[^/]+")
        )
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.mark.parametrize("killed_at", ["customer", "job"])
def test_a_create_the_sandbox_received_from_a_killed_worker_is_one_record(
    killed_at: str,
    sandbox,
    org,
    admin,
    proxied: Callable[[str], HoldingProxy],
    start_worker: Callable[[], Proc],
    start_beat: Callable[[], Proc],
) -> None:
    runtime.clear_cache()
    proxy = proxied(killed_at)
    credential_type, secrets = sandbox.credentials("netsuite")  # M2M with a registered certificate
    connection = credential_actions.create_connection(
        actor=admin,
        organisation=org,
        name=f"NetSuite via proxy {killed_at}",
        connector="netsuite",
        base_url=f"{proxy.url}/netsuite",
        credential_type=credential_type,
        credentials=secrets,
        config={"subsidiary_id": "1"},
    )
    name = f"Killed {killed_at} {uuid.uuid4().hex[:8]}"
    doc = document(
        [
            node("start", "trigger.manual"),
            node(
                "customer",
                "erp.netsuite.create_record",
                {"connection": connection.ref, "record_type": "customer", "fields": {"companyName": name}},
            ),
            node(
                "job",
                "erp.netsuite.create_record",
                {
                    "connection": connection.ref,
                    "record_type": "job",
                    "fields": {"companyName": f"{name} project", "parent": {"id": "{{ $item.id }}"}},
                },
            ),
        ],
        [edge("start", "customer"), edge("customer", "job")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name=f"Create {name}", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    first = start_worker()
    run = run_actions.start_run(actor=admin, flow=flow, input_items=[{}])
    if not proxy.held.wait(40):
        run.refresh_from_db()
        pytest.fail(f"the {killed_at} create never reached the sandbox: {node_errors(run)}\n{first.tail()}")
    first.kill()  # SIGKILL the worker group while NetSuite's answer is held: the record exists, unrecorded
    assert first.popen.returncode == -9
    assert NodeRun.objects.get(run=run, node_id=killed_at).status == "running"
    proxy.release()

    start_beat()  # the sweeper finds the dead worker's run
    start_worker()
    done = wait_for_run_row(run, timeout=90)
    assert done.status == "succeeded", node_errors(done)

    resumed = NodeRun.objects.get(run=run, node_id=killed_at)
    assert resumed.attempt >= 2  # the create was sent again by the new worker
    puts = [p for p in proxy.seen if p[0] == "PUT" and f"/{killed_at}/eid:" in p[1]]
    assert len(puts) == 2 and len({p[1] for p in puts}) == 1, puts  # the same external id both times
    ns = runtime.open_connection(org.pk, connection.ref)
    for table, wanted in (("customer", name), ("job", f"{name} project")):
        rows = ns.run_action(
            "suiteql", {"query": f"SELECT COUNT(*) AS n FROM {table} WHERE companyname = '{wanted}'"}
        )
        assert int(rows[0]["n"]) == 1, (table, rows)
    runtime.clear_cache()
