"""The adapter turning connector actions into node types, run against a real local API server."""

from __future__ import annotations

import json

import pytest

from connectors.base import open_connection
from connectors.generic.http.connector import GenericRestConnector
from flowbuilder.core.errors import NodeError, RetryableNodeError
from flowbuilder.core.item_spool import is_spooled
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.connector_nodes import register_connector_nodes
from flowbuilder.nodes.registry import NodeRegistry
from tests.support.fake_connectors import AcmeCRM
from tests.support.scripted_server import LOCAL, json_reply
from tests.support.spooled import read_in_order_only


@pytest.fixture
def nodes() -> NodeRegistry:
    registry = NodeRegistry()
    register_connector_nodes(registry, [GenericRestConnector(), AcmeCRM()])
    return registry


def _ctx(server, connector) -> NodeContext:
    def connection(connection_id: str):
        return open_connection(
            connector,
            connection_id=connection_id,
            config={"base_url": server.url},
            credential_type="bearer",
            secrets={"token": "tok-SECRET"},
            policy=LOCAL,
            retries=0,
        )

    return NodeContext(run_id=5, node_id="n1", organisation_id=1, connection=connection)


def test_default_registration_includes_generic_rest():
    registry = NodeRegistry()
    register_connector_nodes(registry)
    node = registry.get("generic.http.request")
    assert node is not None and node.side_effects is True


def test_node_type_metadata(nodes):
    assert {n.type for n in nodes} == {
        "generic.http.request",
        "crm.acme.query",
        "crm.acme.upsert",
        "crm.acme.new_things",
    }
    query = nodes.get("crm.acme.query")
    assert query.category == "CRM" and query.icon == "acme" and query.side_effects is False
    schema = query.config_schema
    assert schema["required"][0] == "connection" and "q" in schema["required"]
    assert schema["properties"]["connection"] == {
        "type": "string",
        "title": "Connection",
        "minLength": 1,
        "x-connection": "acme",
    }
    assert nodes.get("crm.acme.upsert").side_effects is True
    assert AcmeCRM.actions[0].input_schema["required"] == ["q"]  # the declaration is not mutated
    json.dumps(query.describe())  # the palette entry is plain JSON


def test_item_mode_runs_once_per_item(nodes, server):
    server.routes["/query"] = lambda seen: json_reply(200, b'{"records": [{"Id": "001"}, {"Id": "002"}]}')
    node = nodes.get("crm.acme.query")({"connection": "c1", "q": "SELECT Id FROM Account"})
    out = node.run(_ctx(server, AcmeCRM()), {"main": [{"a": 1}, {"a": 2}]})
    assert out == {"main": [{"Id": "001"}, {"Id": "002"}] * 2}
    assert len(server.seen) == 2
    assert server.seen[0].headers["Authorization"] == "Bearer tok-SECRET"


def test_batch_mode_chunks_and_sends_idempotency_keys(nodes, server):
    def upsert(seen):
        records = json.loads(seen.body)["records"]
        return json_reply(200, json.dumps({"results": [{"ok": r["name"]} for r in records]}).encode())

    server.routes["/upsert"] = upsert
    node = nodes.get("crm.acme.upsert")({"connection": "c1", "name": "Acme Ltd"})
    out = node.run(_ctx(server, AcmeCRM()), {"main": [{}, {}, {}]})
    assert out["main"] == [{"ok": "Acme Ltd"}] * 3
    assert [s.headers["Idempotency-Key"] for s in server.seen] == ["fb-5-n1-0", "fb-5-n1-2"]


def test_connector_errors_become_node_errors(nodes, server):
    server.routes["/query"] = lambda seen: (503, {"Retry-After": "30"}, b"")
    node = nodes.get("crm.acme.query")({"connection": "c1", "q": "x"})
    with pytest.raises(RetryableNodeError) as info:
        node.run(_ctx(server, AcmeCRM()), {"main": [{}]})
    assert info.value.retry_after == 30.0
    server.routes["/query"] = lambda seen: (400, {}, b"MALFORMED_QUERY")
    with pytest.raises(NodeError) as info:
        node.run(_ctx(server, AcmeCRM()), {"main": [{}]})
    assert not isinstance(info.value, RetryableNodeError) and info.value.hint


def test_wrong_connection_kind_and_missing_resolver(nodes, server):
    node = nodes.get("crm.acme.query")({"connection": "c1", "q": "x"})
    with pytest.raises(NodeError, match="not Acme CRM"):
        node.run(_ctx(server, GenericRestConnector()), {"main": [{}]})
    with pytest.raises(NodeError, match="not available"):
        node.run(NodeContext(run_id=1, node_id="n", organisation_id=1), {"main": [{}]})
    assert node.run(_ctx(server, AcmeCRM()), {"main": []}) == {"main": []}


def test_templates_are_rendered_per_item(nodes, server):
    server.routes["/query"] = lambda seen: json_reply(200, b'{"records": []}')
    node = nodes.get("crm.acme.query")(
        {"connection": "c1", "q": "SELECT Id FROM Account WHERE Name = '{{ $item.name }}'"}
    )
    node.run(_ctx(server, AcmeCRM()), {"main": [{"name": "Acme"}, {"name": "{{ 1+1 }}"}]})
    queries = [s.path for s in server.seen]
    assert "Name+%3D+%27Acme%27" in queries[0]
    # Expression text arriving inside data stays a literal string.
    assert "%7B%7B+1%2B1+%7D%7D" in queries[1]


def test_a_long_input_streams_through_a_write_and_a_bad_item_fails_it_before_any_call(
    nodes, server, monkeypatch
):
    from flowbuilder.core import item_spool

    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 10)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 4)

    def upsert(seen):
        records = json.loads(seen.body)["records"]
        return json_reply(200, json.dumps({"results": [{"ok": r["name"]} for r in records]}).encode())

    server.routes["/upsert"] = upsert
    node = nodes.get("crm.acme.upsert")({"connection": "c1", "name": "{{ $string($number($item.n)) }}"})
    assert node.streams_items  # the engine hands it a spooled input as is
    items = [{"n": str(n)} for n in range(30)]
    out = node.run(_ctx(server, AcmeCRM()), {"main": read_in_order_only(items)})
    assert is_spooled(out["main"]) and list(out["main"]) == [{"ok": str(n)} for n in range(30)]
    keys = [s.headers["Idempotency-Key"] for s in server.seen]
    assert keys == [f"fb-5-n1-{n}" for n in range(0, 30, 2)]  # batches of two, keyed as before

    server.seen.clear()
    items[25] = {"n": "twenty-five"}  # $number fails on this one
    with pytest.raises(NodeError):
        node.run(_ctx(server, AcmeCRM()), {"main": read_in_order_only(items)})
    assert server.seen == []  # every item was rendered before the first write
