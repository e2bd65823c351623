from __future__ import annotations

import socket

import pytest

from connectors.base import (
    API_KEY,
    Action,
    ConnectionRuntime,
    Connector,
    check_connector,
    open_connection,
)
from connectors.errors import ConnectorError, InvalidInput
from connectors.generic.http.connector import GenericRestConnector
from connectors.http.ratelimit import LocalRateLimiter
from tests.support.fake_connectors import AcmeCRM
from tests.support.scripted_server import LOCAL, json_reply


def test_valid_declarations_have_no_problems():
    assert check_connector(GenericRestConnector()) == []
    assert check_connector(AcmeCRM()) == []
    described = AcmeCRM().describe()
    assert described["category"] == "CRM" and [a["key"] for a in described["actions"]] == ["query", "upsert"]
    assert "build" not in str(described["credential_types"])


def test_bad_declarations_are_reported():
    noop = lambda ctx, p: {}  # noqa: E731

    class Bad(Connector):
        key = "bad"
        name = "Bad"
        category = "CRM"
        config_schema = {"type": "nonsense"}
        actions = (
            Action(key="a", name="A", run=noop),
            Action(key="a", name="A again", run=noop),
            Action(
                key="b", name="B", run=noop, input_schema={"type": "object", "properties": {"connection": {}}}
            ),
        )

    problems = "\n".join(check_connector(Bad()))
    assert "duplicate action key 'a'" in problems
    assert "reserved" in problems
    assert "not a valid JSON Schema" in problems


def test_open_connection_does_no_io(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("construction must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    runtime = open_connection(
        GenericRestConnector(),
        connection_id="42",
        config={"base_url": "https://api.example.com/v2"},
        credential_type="bearer",
        secrets={"token": "t-123456"},
    )
    assert runtime.connector_key == "http"
    assert runtime.http.rate_limit_key == "connection:42"


def test_invalid_config_and_credentials_are_refused_without_echoing_secrets():
    with pytest.raises(InvalidInput, match="config"):
        open_connection(
            GenericRestConnector(), connection_id="1", config={}, credential_type="none", secrets={}
        )
    with pytest.raises(InvalidInput) as info:
        API_KEY.make_auth({"api_key": 12345678})
    assert "12345678" not in info.value.message
    with pytest.raises(InvalidInput, match="does not support"):
        open_connection(
            AcmeCRM(),
            connection_id="1",
            config={"base_url": "https://x.example"},
            credential_type="basic",
            secrets={},
        )


def _runtime(server, connector=None, credential_type="api_key", secrets=None) -> ConnectionRuntime:
    return open_connection(
        connector or GenericRestConnector(),
        connection_id="7",
        config={"base_url": server.url},
        credential_type=credential_type,
        secrets=secrets or {"api_key": "ak-SECRET-1"},
        policy=LOCAL,
        rate_limiter=LocalRateLimiter(),
        timeout=(2.0, 5.0),
    )


def test_generic_rest_request_action(server):
    server.routes["/v1/things"] = lambda seen: json_reply(201, b'{"id": 9}', **{"Set-Cookie": "s=1"})
    runtime = _runtime(server)
    result = runtime.run_action(
        "request",
        {"method": "POST", "path": "/v1/things", "body_type": "json", "body": {"name": "x"}},
        idempotency_key="fb-1-n1-0",
    )
    assert result["status"] == 201 and result["body"] == {"id": 9}
    assert result["headers"]["Set-Cookie"] == "[REDACTED]"
    seen = server.seen[0]
    assert seen.headers["X-API-Key"] == "ak-SECRET-1"
    assert seen.headers["Idempotency-Key"] == "fb-1-n1-0"
    assert seen.body == b'{"name": "x"}'


def test_action_input_is_validated(server):
    with pytest.raises(InvalidInput, match="method"):
        _runtime(server).run_action("request", {"method": "BREW", "path": "/"})
    with pytest.raises(ConnectorError, match="no action"):
        _runtime(server).run_action("nope", {})
    assert server.seen == []


def test_test_connection(server):
    server.routes["/"] = lambda seen: json_reply(200, b"{}")
    assert _runtime(server).test_connection() == (True, "Connected: HTTP 200.")
    server.routes["/"] = lambda seen: (401, {}, b"")
    ok, message = _runtime(server).test_connection()
    assert not ok and "401" in message


def test_polling_trigger(server):
    runtime = _runtime(server, AcmeCRM(), "bearer", {"token": "tok-1234"})
    first = runtime.poll("new_things", {}, None)
    assert first.items == [{"n": 1}] and runtime.poll("new_things", {}, first.cursor).cursor == 2
