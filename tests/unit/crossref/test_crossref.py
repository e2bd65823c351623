"""SyncLink: lookup/link, upsert that creates once and updates after, and concurrent upserts that
create exactly one record; plus the sync.upsert_crossref node in a real run."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from flowbuilder.core.errors import ConflictError
from flowbuilder.crossref import actions as crossref
from flowbuilder.crossref.models import SyncLink
from flowbuilder.execution import actions as run_actions
from flowbuilder.execution.models import NodeRun, RunStatus
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.usefixtures("fresh_runtime_cache")


@pytest.mark.django_db
def test_second_upsert_updates_the_linked_record(org, make_org):
    created, updated = [], []

    def create():
        created.append(1)
        return "NS-1"

    result = crossref.upsert_via_crossref(
        org, "customer", "salesforce", "001A", "netsuite", create, updated.append
    )
    assert (result.target_id, result.created) == ("NS-1", True)
    again = crossref.upsert_via_crossref(
        org, "customer", "salesforce", "001A", "netsuite", create, updated.append
    )
    assert (again.target_id, again.created, again.canonical_id) == ("NS-1", False, result.canonical_id)
    assert created == [1] and updated == ["NS-1"]
    assert crossref.counterpart(org, "customer", "salesforce", "001A", "netsuite") == "NS-1"
    assert crossref.lookup(org, "customer", "netsuite", "NS-1") == result.canonical_id
    # Tenants and entities are separate namespaces.
    assert crossref.counterpart(make_org("Other"), "customer", "salesforce", "001A", "netsuite") is None
    assert crossref.counterpart(org, "project", "salesforce", "001A", "netsuite") is None


@pytest.mark.django_db
def test_link_refuses_to_repoint_silently(org):
    canonical = crossref.link(org, "project", "salesforce", "006X", "kantata", "K-9")
    assert crossref.link(org, "project", "kantata", "K-9", "netsuite", "N-3") == canonical  # chains
    assert crossref.counterpart(org, "project", "salesforce", "006X", "netsuite") == "N-3"
    with pytest.raises(ConflictError):
        crossref.link(org, "project", "salesforce", "006X", "kantata", "K-10")
    with pytest.raises(ConflictError):
        crossref.link(org, "project", "salesforce", "006Y", "kantata", "K-9")


@pytest.mark.django_db
def test_a_failed_create_links_nothing(org):
    def boom():
        raise RuntimeError("remote down")

    with pytest.raises(RuntimeError):
        crossref.upsert_via_crossref(org, "customer", "salesforce", "001B", "netsuite", boom, print)
    assert not SyncLink.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_create_exactly_one_record(org):
    creates: list[int] = []
    updates: list[str] = []
    results: list = []
    errors: list = []
    start = threading.Barrier(6)

    def create():
        creates.append(1)
        time.sleep(0.3)  # a slow remote create: the others must wait, not create too
        return "NS-777"

    def worker():
        try:
            start.wait()
            results.append(
                crossref.upsert_via_crossref(
                    org.pk, "customer", "salesforce", "001C", "netsuite", create, updates.append
                )
            )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(creates) == 1 and len(updates) == 5
    assert {r.target_id for r in results} == {"NS-777"} and sum(r.created for r in results) == 1
    assert SyncLink.objects.filter(organisation=org, entity="customer").count() == 2


@pytest.mark.django_db(transaction=True)
def test_upsert_node_creates_once_and_updates_on_the_next_run(admin, org, make_connection, endpoint, eager):
    endpoint.route("/customers", lambda n, body: (201 if n == 1 else 200, {}, {"id": "NS-1", "name": body}))
    conn = make_connection(endpoint.url, credential_type="none", credentials={})
    upsert = node(
        "up",
        "sync.upsert_crossref",
        {
            "connection": conn.ref,
            "entity": "customer",
            "source_system": "salesforce",
            "source_id": "{{ $item.Id }}",
            "target_system": "netsuite",
            "create_action": "request",
            "update_action": "request",
            "values": {
                "method": "POST",
                "path": "/customers",
                "body_type": "json",
                "body": {"name": "{{ $item.Name }}"},
            },
            "id_path": "body.id",
            "update_id_field": "body.id",
        },
    )
    doc = document([node("t", "trigger.manual"), upsert], [edge("t", "up")])
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="sync", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    flow.refresh_from_db()
    outputs = []
    for _ in range(2):  # the second run is a replay of the same opportunity
        run = run_actions.start_run(actor=admin, flow=flow, input_items=[{"Id": "006A", "Name": "Acme"}])
        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED, NodeRun.objects.filter(run=run).values("error")
        outputs.append(run.output_items[0])
    assert [o["created"] for o in outputs] == [True, False]
    assert {o["target_id"] for o in outputs} == {"NS-1"}
    bodies = endpoint.bodies["/customers"]
    assert bodies == [{"name": "Acme"}, {"name": "Acme", "id": "NS-1"}]  # one create, then an update
    assert crossref.counterpart(org, "customer", "salesforce", "006A", "netsuite") == "NS-1"
