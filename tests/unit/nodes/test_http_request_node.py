"""Issue 10, defect 1: the HTTP request node against a real local server through the real safe client
with a connection's auth: a JSON body typed as text is sent as a JSON object, a refusal names the
target's status and its own reason (redacted, truncated), and "Fail on error status: off" is honoured
with a connection too."""

from __future__ import annotations

import json

import pytest

from connectors.http.auth import BearerAuth
from connectors.http.client import SafeClient
from flowbuilder.core.errors import NodeError
from flowbuilder.nodes.base import NodeContext
from tests.support.scripted_server import LOCAL, json_reply

TOKEN = "tok-SECRET-123"


def connection_ctx(server) -> NodeContext:
    """What ``ctx.http_client(connection)`` gives a node: a client with the connection's base URL and auth."""

    def factory(connection_id=None):
        assert connection_id == "conn_1"
        return SafeClient(policy=LOCAL, base_url=server.url, auth=BearerAuth(TOKEN), retries=0)

    return NodeContext(run_id=3, node_id="h1", organisation_id=1, http_client=factory)


def netsuite_like(seen):
    """Refuses anything that is not a JSON object, like the sandbox's NetSuite (o:errorDetails shape)."""
    body = json.loads(seen.body or b"null")
    if not isinstance(body, dict):
        detail = {"detail": "The request body must be a JSON object.", "o:errorCode": "INVALID_CONTENT"}
        return json_reply(400, json.dumps({"status": 400, "o:errorDetails": [detail]}).encode())
    return json_reply(200, json.dumps({"id": "c1", **body}).encode())


def node(registry, **config):
    base = {"method": "POST", "url": "/customers", "connection": "conn_1"}
    return registry.get("http.request")({**base, **config})


def test_json_body_typed_as_text_is_sent_as_json(registry, server):
    server.routes["/customers"] = netsuite_like
    http = node(registry, body='{"companyName": "{{ $item.title }}", "n": 1}')
    out = http.run(connection_ctx(server), {"main": [{"title": 'Acme "Intl"'}]})
    assert out == {"main": [{"id": "c1", "companyName": 'Acme "Intl"', "n": 1}]}
    sent = server.seen[0]
    assert sent.headers["Content-Type"].startswith("application/json")
    assert json.loads(sent.body) == {"companyName": 'Acme "Intl"', "n": 1}


def test_template_in_number_position_is_parsed_after_rendering(registry, server):
    server.routes["/customers"] = netsuite_like
    http = node(registry, body='{"amount": {{ $item.amount }}}')
    http.run(connection_ctx(server), {"main": [{"amount": 12.5}]})
    assert json.loads(server.seen[0].body) == {"amount": 12.5}


def test_refusal_shows_status_and_target_reason_redacted_and_truncated(registry, server):
    long_reason = f"Bad field companyName (token {TOKEN}) " + "x" * 1000
    server.routes["/customers"] = json_reply(400, json.dumps({"message": long_reason}).encode())
    with pytest.raises(NodeError) as err:
        node(registry, body={"a": 1}).run(connection_ctx(server), {"main": [{}]})
    message = err.value.message
    assert "HTTP 400" in message and "Bad field companyName" in message
    assert TOKEN not in message
    assert len(message) < 450
    assert "check mapped fields" not in (message + err.value.hint)


def test_netsuite_shaped_refusal_reason(registry, server):
    server.routes["/customers"] = netsuite_like
    with pytest.raises(NodeError) as err:
        node(registry, body='"just a string"').run(connection_ctx(server), {"main": [{}]})
    assert "HTTP 400: The request body must be a JSON object." in err.value.message


def test_fail_on_error_status_off_is_honoured_with_a_connection(registry, server):
    server.routes["/customers"] = json_reply(422, b'{"message": "duplicate"}')
    http = node(registry, body={"a": 1}, fail_on_status=False, output="full")
    out = http.run(connection_ctx(server), {"main": [{}]})
    assert out["main"][0]["status"] == 422 and out["main"][0]["body"] == {"message": "duplicate"}
