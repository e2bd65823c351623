"""Authorising sandbox connections in tests: a Kantata token through its authorization code grant (the
sandbox's consent page approves at once), and a full Connect of a stored connection through the product's
own path (start -> the system's authorize URL -> callback parameters -> complete)."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from flowbuilder.devtools.sandbox_auth import DEFAULT_CLIENT

REDIRECT_URI = "http://127.0.0.1/oauth/callback/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent(authorize_url: str) -> dict[str, str]:
    """Visit the authorize URL as the consenting user and return the callback's query parameters."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(authorize_url, timeout=10)  # noqa: S310 - loopback sandbox
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303, 307):
            query = urllib.parse.urlsplit(exc.headers["Location"]).query
            return dict(urllib.parse.parse_qsl(query))
        raise
    raise AssertionError("the authorize endpoint did not redirect back with a code")


def kantata_token(sandbox_url: str, client: dict[str, str] | None = None) -> str:
    """An access token from Kantata's authorization code grant on the sandbox."""
    client = dict(client or DEFAULT_CLIENT)
    base = sandbox_url.rstrip("/")
    state = secrets.token_urlsafe(8)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": REDIRECT_URI,
            "state": state,
        }
    )
    back = consent(f"{base}/kantata/oauth/authorize?{query}")
    assert back.get("state") == state
    form = urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": back["code"], "redirect_uri": REDIRECT_URI, **client}
    ).encode()
    request = urllib.request.Request(f"{base}/kantata/oauth/token", data=form, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback sandbox
        return str(json.loads(response.read())["access_token"])


def connect_in_sandbox(actor: Any, connection: Any) -> Any:
    """Connect ``connection`` (a Connect credential type) as ``actor`` against the sandbox."""
    from flowbuilder.credentials import connect

    started = connect.start_authorization(actor=actor, connection=connection, redirect_uri=REDIRECT_URI)
    back = consent(started.authorize_url)
    return connect.complete_authorization(actor=actor, state=back["state"], code=back.get("code", ""))
