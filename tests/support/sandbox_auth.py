"""Authorising sandbox connections in tests, the way a person does: a Kantata token through its
authorization code grant (Allow on the sandbox's consent page), a NetSuite M2M certificate registered for
the client, and a full Connect of a stored connection through the product's own path (start -> the
system's authorize URL -> Allow -> complete). ``consent`` also answers for the local fake authorization
server of tests/support/fake_oauth.py, which approves at once."""

from __future__ import annotations

import functools
import secrets
from typing import Any
from urllib.parse import urlencode

import requests

from flowbuilder.devtools.sandbox_auth import (
    Certificate,
    approve_consent,
    register_netsuite_certificate,
    sandbox_client,
)

REDIRECT_URI = "http://127.0.0.1/oauth/callback/"


def consent(authorize_url: str) -> dict[str, str]:
    """The consenting person at the authorize URL: the callback's query parameters (code and state)."""
    return approve_consent(authorize_url)


def kantata_token(sandbox_url: str, client: dict[str, str] | None = None) -> str:
    """An access token from Kantata's authorization code grant on the sandbox (it never expires)."""
    client = dict(client or sandbox_client())
    base = sandbox_url.rstrip("/")
    state = secrets.token_urlsafe(16)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": REDIRECT_URI,
            "state": state,
        }
    )
    back = consent(f"{base}/kantata/oauth/authorize?{query}")
    assert back.get("state") == state and back.get("code"), back
    answer = requests.post(
        f"{base}/kantata/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": REDIRECT_URI,
            **client,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@functools.cache
def netsuite_certificate(sandbox_url: str, client_id: str) -> Certificate:
    """A certificate mapped to ``client_id`` on this sandbox (one per sandbox and client)."""
    return register_netsuite_certificate(sandbox_url, client_id)


def connect_in_sandbox(actor: Any, connection: Any) -> Any:
    """Connect ``connection`` (a Connect credential type) as ``actor`` against the sandbox."""
    from flowbuilder.credentials import connect

    started = connect.start_authorization(actor=actor, connection=connection, redirect_uri=REDIRECT_URI)
    back = consent(started.authorize_url)
    return connect.complete_authorization(
        actor=actor, state=back.get("state", ""), code=back.get("code", ""), error=back.get("error", "")
    )
