"""SafeClient against a real local http.server: retries, Retry-After, caps, redirects, credentials."""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import socket
import time

import pytest

from connectors.errors import (
    AuthError,
    ConnectorError,
    EgressDenied,
    HTTPStatusError,
    NotFound,
    RateLimited,
    ResponseTooLarge,
    TransientHTTPError,
)
from connectors.http.auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)
from connectors.http.client import parse_retry_after
from connectors.http.egress import EgressPolicy
from tests.support.scripted_server import json_reply


def test_get_json_and_headers(server, client_factory):
    server.routes["/ok"] = lambda seen: json_reply(200, b'{"a": 1}', **{"X-Thing": "yes"})
    response = client_factory(base_url=server.url).get("/ok", params={"q": "x y"})
    assert response.status == 200
    assert response.json() == {"a": 1}
    assert response.headers["x-thing"] == "yes"
    assert server.seen[0].path == "/ok?q=x+y"
    assert server.seen[0].headers["Host"] == f"127.0.0.1:{server.port}"


def test_retry_after_seconds_is_honoured(server, client_factory, fake_sleep):
    replies = iter([(503, {"Retry-After": "2"}, b""), json_reply(200, b"{}")])
    server.routes["/flaky"] = lambda seen: next(replies)
    response = client_factory(base_url=server.url, retries=3).get("/flaky")
    assert response.status == 200
    assert fake_sleep.calls == [2.0]
    assert len(server.seen) == 2


def test_retry_after_http_date_is_honoured(server, client_factory, fake_sleep):
    when = email.utils.formatdate(time.time() + 4, usegmt=True)
    replies = iter([(429, {"Retry-After": when}, b""), json_reply(200, b"{}")])
    server.routes["/limited"] = lambda seen: next(replies)
    client_factory(base_url=server.url, retries=2).get("/limited")
    assert len(fake_sleep.calls) == 1
    assert 2.0 <= fake_sleep.calls[0] <= 4.5


def test_retry_after_beyond_cap_is_raised_not_slept(server, client_factory, fake_sleep):
    server.routes["/slow"] = lambda seen: (429, {"Retry-After": "120"}, b"")
    with pytest.raises(RateLimited) as info:
        client_factory(base_url=server.url, retries=5, backoff_cap=30).get("/slow")
    assert info.value.retry_after == 120.0
    assert info.value.retryable is True
    assert fake_sleep.calls == []
    assert len(server.seen) == 1


def test_retry_after_beyond_deadline_is_raised(server, client_factory, fake_sleep):
    server.routes["/slow"] = lambda seen: (503, {"Retry-After": "8"}, b"")
    with pytest.raises(TransientHTTPError) as info:
        client_factory(base_url=server.url, retries=5, backoff_cap=30, deadline=5).get("/slow")
    assert info.value.retry_after == 8.0
    assert fake_sleep.calls == []


def test_retries_zero_leaves_retrying_to_the_executor(server, client_factory, fake_sleep):
    server.routes["/busy"] = lambda seen: (503, {"Retry-After": "1"}, b"")
    with pytest.raises(TransientHTTPError) as info:
        client_factory(base_url=server.url, retries=0).get("/busy")
    assert info.value.retry_after == 1.0 and info.value.status == 503
    assert len(server.seen) == 1 and fake_sleep.calls == []


def test_backoff_grows_with_jitter_and_gives_up(server, client_factory, fake_sleep):
    server.routes["/down"] = lambda seen: (502, {}, b"bad gateway")
    with pytest.raises(TransientHTTPError) as info:
        client_factory(base_url=server.url, retries=3, backoff_base=1.0, backoff_cap=30).get("/down")
    assert len(server.seen) == 4
    assert len(fake_sleep.calls) == 3
    for attempt, delay in enumerate(fake_sleep.calls):
        assert 2**attempt / 2 <= delay <= 2**attempt
    # No Retry-After from the server: the caller's (the engine's) backoff decides the next attempt.
    assert info.value.retry_after is None


def test_post_without_idempotency_key_is_not_retried_on_500(server, client_factory, fake_sleep):
    server.routes["/create"] = lambda seen: (500, {}, b"oops")
    with pytest.raises(TransientHTTPError):
        client_factory(base_url=server.url, retries=3).post("/create", json={"a": 1})
    assert len(server.seen) == 1
    server.seen.clear()
    with pytest.raises(TransientHTTPError):
        client_factory(base_url=server.url, retries=2).post(
            "/create", json={"a": 1}, headers={"Idempotency-Key": "fb-1-n1-0"}
        )
    assert len(server.seen) == 3


def test_status_errors_are_typed_and_carry_excerpt(server, client_factory):
    server.routes["/missing"] = lambda seen: (404, {}, b"no such record")
    server.routes["/bad"] = lambda seen: (400, {}, b'{"error": "field x required"}')
    client = client_factory(base_url=server.url)
    with pytest.raises(NotFound):
        client.get("/missing")
    with pytest.raises(HTTPStatusError) as info:
        client.post("/bad", json={})
    assert info.value.status == 400 and "field x required" in info.value.body_excerpt
    assert info.value.retryable is False
    assert client.get("/bad", raise_for_status=False).status == 400


def test_size_cap_by_content_length(server, client_factory):
    server.routes["/big"] = lambda seen: (200, {}, b"x" * 5000)
    with pytest.raises(ResponseTooLarge):
        client_factory(base_url=server.url, max_response_bytes=1000).get("/big")


def test_size_cap_while_streaming_without_length(server, client_factory):
    sent = {"bytes": 0}

    def write_chunked(handler):
        # A chunked body with no Content-Length: the client must stop reading at the cap.
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for _ in range(2000):
                chunk = b"y" * 4096
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent["bytes"] += len(chunk)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up at the cap, as it should

    server.raw_routes["/stream"] = write_chunked
    with pytest.raises(ResponseTooLarge):
        client_factory(base_url=server.url, max_response_bytes=20_000).get("/stream")
    time.sleep(0.2)
    assert sent["bytes"] < 2000 * 4096  # the server was cut off long before the end


def test_size_cap_applies_after_decompression(server, client_factory):
    bomb = gzip.compress(b"z" * 200_000)
    server.routes["/gz"] = lambda seen: (200, {"Content-Encoding": "gzip"}, bomb)
    assert len(bomb) < 5_000
    with pytest.raises(ResponseTooLarge):
        client_factory(base_url=server.url, max_response_bytes=50_000).get("/gz")


def test_a_body_past_spool_body_over_is_kept_in_a_file_and_still_capped(server, client_factory):
    payload = b'{"items": [' + b",".join(b'{"n": %d}' % n for n in range(5000)) + b"]}"
    server.routes["/many"] = lambda seen: (200, {"Content-Type": "application/json"}, payload)
    server.routes["/few"] = lambda seen: (200, {"Content-Type": "application/json"}, b'{"items": []}')
    client = client_factory(base_url=server.url)
    large = client.get("/many", spool_body_over=10_000)
    assert large.body == b"" and large.body_file is not None
    assert large.open_body().read() == payload and large.json()["items"][4999] == {"n": 4999}
    small = client.get("/few", spool_body_over=10_000)
    assert (
        small.body == b'{"items": []}' and small.body_file is None and small.open_body().read() == small.body
    )
    with pytest.raises(ResponseTooLarge):  # the file is bounded too
        client.get("/many", spool_body_over=10_000, max_response_bytes=20_000)


def test_redirects_are_followed_and_capped(server, client_factory):
    server.routes["/a"] = lambda seen: (302, {"Location": "/b"}, b"")
    server.routes["/b"] = lambda seen: (303, {"Location": f"{server.url}/c"}, b"")
    server.routes["/c"] = lambda seen: json_reply(200, b'{"done": true}')
    response = client_factory(base_url=server.url).post("/a", json={"x": 1})
    assert response.json() == {"done": True}
    assert [s.method for s in server.seen] == ["POST", "GET", "GET"]
    assert len(response.history) == 2

    server.routes["/loop"] = lambda seen: (307, {"Location": "/loop"}, b"")
    server.seen.clear()
    with pytest.raises(ConnectorError, match="Too many redirects"):
        client_factory(base_url=server.url).get("/loop")
    assert len(server.seen) == 6  # the first request plus 5 followed hops


def test_307_keeps_method_and_body(server, client_factory):
    server.routes["/old"] = lambda seen: (307, {"Location": "/new"}, b"")
    server.routes["/new"] = lambda seen: json_reply(201, seen.body)
    response = client_factory(base_url=server.url).put("/old", json={"k": "v"})
    assert response.status == 201 and response.json() == {"k": "v"}
    assert [s.method for s in server.seen] == ["PUT", "PUT"]


@pytest.mark.parametrize(
    "auth, header",
    [
        (BearerAuth("tok-SECRET-123"), "Authorization"),
        (BasicAuth("user", "pw-SECRET-123"), "Authorization"),
        (ApiKeyAuth("key-SECRET-123", name="X-Api-Key"), "X-Api-Key"),
    ],
)
def test_credentials_only_go_to_own_host(server, other_server, client_factory, auth, header):
    server.routes["/me"] = lambda seen: json_reply(200, b"{}")
    server.routes["/away"] = lambda seen: (302, {"Location": f"{other_server.url}/landing"}, b"")
    other_server.routes["/landing"] = lambda seen: json_reply(200, b"{}")
    other_server.routes["/direct"] = lambda seen: json_reply(200, b"{}")
    client = client_factory(base_url=server.url, auth=auth)

    client.get("/me")
    assert header in server.seen[-1].headers

    client.get("/away")  # redirect to a foreign origin
    assert header not in other_server.seen[-1].headers
    assert "Authorization" not in other_server.seen[-1].headers

    client.get(f"{other_server.url}/direct")  # an absolute URL to a foreign origin
    assert header not in other_server.seen[-1].headers
    assert all("SECRET" not in json.dumps(s.headers) for s in other_server.seen)


def test_caller_set_authorization_is_dropped_on_cross_origin_redirect(server, other_server, client_factory):
    server.routes["/away"] = lambda seen: (307, {"Location": f"{other_server.url}/x"}, b"")
    other_server.routes["/x"] = lambda seen: json_reply(200, b"{}")
    client_factory(base_url=server.url).get("/away", headers={"Authorization": "Bearer mine", "X-Trace": "1"})
    assert "Authorization" not in other_server.seen[0].headers
    assert other_server.seen[0].headers["X-Trace"] == "1"


def test_api_key_in_query_goes_only_to_own_host_and_is_redacted(server, other_server, client_factory, caplog):
    server.routes["/q"] = lambda seen: (500, {}, b"boom")
    client = client_factory(
        base_url=server.url, retries=1, auth=ApiKeyAuth("qk-SECRET-99", name="api_key", location="query")
    )
    with caplog.at_level(logging.DEBUG, logger="connectors.http"), pytest.raises(TransientHTTPError) as info:
        client.get("/q")
    assert "api_key=qk-SECRET-99" in server.seen[0].path
    assert "qk-SECRET-99" not in info.value.message
    assert "qk-SECRET-99" not in caplog.text
    other_server.routes["/q"] = lambda seen: json_reply(200, b"{}")
    client.get(f"{other_server.url}/q")
    assert "api_key" not in other_server.seen[0].path


def test_secret_echoed_in_error_body_is_redacted(server, client_factory):
    server.routes["/echo"] = lambda seen: (400, {}, f"bad token {seen.headers.get('Authorization')}".encode())
    with pytest.raises(HTTPStatusError) as info:
        client_factory(base_url=server.url, auth=BearerAuth("tok-SECRET-777")).get("/echo")
    assert "tok-SECRET-777" not in info.value.body_excerpt
    assert "[REDACTED]" in info.value.body_excerpt


def test_oauth_client_credentials_fetches_once_and_refreshes_on_401(server, client_factory):
    issued: list[str] = []

    def token(seen):
        form = dict(p.split("=") for p in seen.body.decode().split("&"))
        assert form["grant_type"] == "client_credentials" and form["client_secret"] == "cs-SECRET"
        issued.append(f"at-{len(issued) + 1}")
        return json_reply(200, json.dumps({"access_token": issued[-1], "expires_in": 3600}).encode())

    def api(seen):
        if seen.headers.get("Authorization") == f"Bearer {issued[-1]}" and len(issued) >= 2:
            return json_reply(200, b'{"ok": true}')
        return 401, {}, b""

    server.routes["/oauth/token"] = token
    server.routes["/api"] = api
    auth = OAuth2ClientCredentials(f"{server.url}/oauth/token", "cid", "cs-SECRET")
    client = client_factory(base_url=server.url, auth=auth)
    assert client.get("/api").json() == {"ok": True}
    assert issued == ["at-1", "at-2"]
    assert server.paths() == ["/oauth/token", "/api", "/oauth/token", "/api"]
    # The token is not refetched while valid.
    client.get("/api")
    assert auth.fetch_count == 2


def test_oauth_refresh_token_rotation_and_persisting_hook(server, client_factory):
    stored = []

    def token(seen):
        form = dict(p.split("=") for p in seen.body.decode().split("&"))
        assert form["grant_type"] == "refresh_token"
        n = len(stored) + 1
        return json_reply(
            200, json.dumps({"access_token": f"a{n}", "refresh_token": f"r{n}", "instance_url": "x"}).encode()
        )

    server.routes["/token"] = token
    server.routes["/api"] = lambda seen: json_reply(200, b"{}")
    auth = OAuth2RefreshToken(f"{server.url}/token", "cid", "sec", refresh_token="r0", on_token=stored.append)
    client_factory(base_url=server.url, auth=auth).get("/api")
    assert stored[0].refresh_token == "r1" and stored[0].raw["instance_url"] == "x"
    assert "r1" not in repr(stored[0])


def test_second_401_is_an_auth_error(server, client_factory):
    server.routes["/token"] = lambda seen: json_reply(200, b'{"access_token": "t"}')
    server.routes["/api"] = lambda seen: (401, {}, b"nope")
    with pytest.raises(AuthError):
        client_factory(
            base_url=server.url, auth=OAuth2ClientCredentials(f"{server.url}/token", "c", "s")
        ).get("/api")
    assert server.paths() == ["/token", "/api", "/token", "/api"]


def test_token_endpoint_refusal_is_auth_error(server, client_factory):
    server.routes["/token"] = lambda seen: json_reply(400, b'{"error": "invalid_grant"}')
    auth = OAuth2RefreshToken(f"{server.url}/token", "c", "s", refresh_token="revoked")
    with pytest.raises(AuthError, match="token endpoint"):
        client_factory(base_url=server.url, auth=auth).get("/api")


def test_connection_pinned_to_checked_address(server, client_factory, monkeypatch):
    """DNS is asked once per hop; the connection goes to that answer, Host keeps the name."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls = []

    def resolver(host, port):
        calls.append(host)
        return next(answers)

    server.routes["/pin"] = lambda seen: json_reply(200, b"{}")
    policy = EgressPolicy(allow_hosts=["api.example.test"], resolver=resolver)
    client = client_factory(policy=policy)
    response = client.get(f"http://api.example.test:{server.port}/pin")
    assert response.status == 200
    assert calls == ["api.example.test"]
    assert server.seen[0].headers["Host"] == f"api.example.test:{server.port}"


def test_connect_failure_is_transient(client_factory, fake_sleep):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    with pytest.raises(TransientHTTPError) as info:
        client_factory(retries=2).get(f"http://127.0.0.1:{port}/")
    assert len(fake_sleep.calls) == 2 and info.value.retryable


def test_non_http_schemes_refused(client_factory):
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/"):
        with pytest.raises(EgressDenied):
            client_factory().get(url)


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
