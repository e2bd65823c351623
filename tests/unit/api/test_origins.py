"""Websocket handshakes: the page's origin must match scheme, host AND port (flowbuilder/api/origins.py)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from flowbuilder.api.origins import origin_allowed, origin_validator


async def _accepting_app(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})


def _scope(host: str, scheme: str = "ws", **headers: str) -> dict:
    raw = [(b"host", host.encode())] + [
        (k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()
    ]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.fixture(autouse=True)
def origins(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "flows.example.com", "integrations.partner.example"]
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["http://127.0.0.1:8000", "https://flows.example.com"]
    settings.FLOWBUILDER_TRUSTED_PROXIES = 0


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws"),
        ("https://flows.example.com", "flows.example.com", "wss"),
        ("https://flows.example.com:443", "flows.example.com", "wss"),
        ("http://localhost:8000", "localhost:8000", "ws"),  # the very origin the socket was opened on
        ("https://integrations.partner.example", "integrations.partner.example", "wss"),  # a partner host
    ],
)
def test_same_or_configured_origin_is_accepted(origin, host, scheme):
    assert origin_allowed(origin, _scope(host, scheme))


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://localhost:9999", "localhost:8000", "ws"),  # the review's finding: another port
        ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws"),
        ("http://flows.example.com", "flows.example.com", "wss"),  # another scheme
        ("https://flows.example.com:8443", "flows.example.com", "wss"),
        ("http://evil.example.com", "127.0.0.1:8000", "ws"),
        ("http://evil.example.com", "evil.example.com", "ws"),  # a host we do not serve
        ("null", "127.0.0.1:8000", "ws"),
        ("", "127.0.0.1:8000", "ws"),
        ("javascript://127.0.0.1:8000", "127.0.0.1:8000", "ws"),
    ],
)
def test_other_origins_are_refused(origin, host, scheme):
    assert not origin_allowed(origin, _scope(host, scheme))


def test_forwarded_proto_counts_only_behind_trusted_proxies(settings):
    scope = _scope("integrations.partner.example", "ws", x_forwarded_proto="https")
    assert not origin_allowed("https://integrations.partner.example", scope)
    settings.FLOWBUILDER_TRUSTED_PROXIES = 1
    assert origin_allowed("https://integrations.partner.example", scope)


async def _handshake(origin: str, host: str = "localhost:8000") -> bool:
    communicator = WebsocketCommunicator(
        origin_validator(_accepting_app),
        "/ws/runs/1/",
        headers=[(b"origin", origin.encode()), (b"host", host.encode())],
    )
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.asyncio
async def test_the_asgi_validator_refuses_another_port_and_accepts_the_page_origin():
    assert await _handshake("http://localhost:8000")
    assert not await _handshake("http://localhost:9999")
