"""Kantata OX's authorization as the sandbox enforces it: the authorization code grant only, tokens that
never expire, no client credentials grant (legacy aside), and the account behind the token."""

from __future__ import annotations

import time

from tests.unit.sandbox.helpers import CALLBACK, consent, register

KANTATA_TOKEN = "/kantata/oauth/token"
KANTATA_PROBE = "/kantata/api/v1/workspaces.json"


def test_kantata_authorization_code_token_never_expires(sandbox):
    app = register(sandbox, tenant="acme", system="kantata", redirect_uris=[CALLBACK])
    sandbox.admin_request("POST", "config", json={"token_ttl": 1})
    back = consent(
        sandbox,
        sandbox.url + "/kantata/oauth/authorize",
        {"response_type": "code", "client_id": app["client_id"], "redirect_uri": CALLBACK, "state": "k1"},
    )
    resp = sandbox.http.post(
        sandbox.url + KANTATA_TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "client_id": app["client_id"],
            "client_secret": app["secret"],
            "redirect_uri": CALLBACK,
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer" and "expires_in" not in body and "refresh_token" not in body
    time.sleep(1.2)  # longer than the configured access-token lifetime: Kantata tokens do not expire
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert sandbox.http.get(sandbox.url + KANTATA_PROBE, headers=headers).status_code == 200


def test_kantata_has_no_client_credentials_grant(sandbox):
    app = register(sandbox, tenant="acme", system="kantata", redirect_uris=[CALLBACK])
    refused = sandbox.http.post(
        sandbox.url + KANTATA_TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["secret"],
        },
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The authorization grant type is not supported by the authorization server.",
    }
    # The legacy path (the default clients, for the connectors of today) goes when legacy grants are off.
    default = {"grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "acme-secret"}
    assert sandbox.http.post(sandbox.url + KANTATA_TOKEN, data=default).status_code == 200
    sandbox.admin_request("POST", "config", json={"legacy_grants": False})
    try:
        strict = sandbox.http.post(sandbox.url + KANTATA_TOKEN, data=default)
        assert strict.status_code == 400 and strict.json()["error"] == "unsupported_grant_type"
    finally:
        sandbox.admin_request("POST", "config", json={"legacy_grants": True})


def test_kantata_token_belongs_to_its_account(sandbox):
    body = {
        "grant_type": "client_credentials",
        "client_id": "globex-client",
        "client_secret": "globex-secret",
    }
    globex = sandbox.http.post(sandbox.url + KANTATA_TOKEN, data=body).json()["access_token"]
    created = sandbox.http.post(
        sandbox.url + KANTATA_PROBE,
        headers={"Authorization": f"Bearer {globex}"},
        json={"workspace": {"title": "Globex only workspace"}},
    )
    assert created.status_code == 200, created.text
    search = {"search": "Globex only workspace"}
    mine = sandbox.http.get(
        sandbox.url + KANTATA_PROBE, params=search, headers={"Authorization": f"Bearer {globex}"}
    )
    theirs = sandbox.http.get(sandbox.url + KANTATA_PROBE, params=search, headers=sandbox.auth("kantata"))
    assert mine.json()["count"] == 1 and theirs.json()["count"] == 0
