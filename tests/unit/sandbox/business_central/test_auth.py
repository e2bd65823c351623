"""Business Central through Microsoft Entra ID: client credentials with the .default scope, the
authorization code with offline_access and rotating refresh tokens, AADSTS error answers, and the Entra
tenant and the environment in the URL."""

from __future__ import annotations

import pytest

from tests.support.sandbox import Sandbox
from tests.unit.sandbox.helpers import CALLBACK, consent, pkce, register

BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


def _tenant(sandbox, name):
    return sandbox.admin_request("GET", f"tenants/{name}").json()["systems"]


@pytest.fixture(scope="module")
def entra_app(sandbox_server):

    return register(
        Sandbox(sandbox_server),
        tenant="initech",
        system="dynamics",
        name="Flowbuilder",
        redirect_uris=[CALLBACK],
        grants=["client_credentials", "authorization_code", "refresh_token"],
    )


def _entra_token(sandbox, tenant_id, **form):
    return sandbox.http.post(sandbox.url + f"/dynamics/{tenant_id}/oauth2/v2.0/token", data=form)


def test_entra_client_credentials_with_the_default_scope(sandbox, entra_app):
    bc = _tenant(sandbox, "initech")["dynamics"]
    creds = {
        "grant_type": "client_credentials",
        "client_id": entra_app["client_id"],
        "client_secret": entra_app["secret"],
    }
    resp = _entra_token(sandbox, bc["id"], **creds, scope=BC_SCOPE)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (
        body["token_type"] == "Bearer"
        and body["expires_in"] == body["ext_expires_in"]
        and "scope" not in body
    )
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    companies = sandbox.http.get(bc["api_base"] + "/api/v2.0/companies", headers=headers)
    assert companies.status_code == 200 and companies.json()["value"]
    # Another tenant's URL refuses the token; an environment the tenant lacks is not found.
    other = _tenant(sandbox, "acme")["dynamics"]["api_base"]
    assert sandbox.http.get(other + "/api/v2.0/companies", headers=headers).status_code == 401
    missing_env = bc["api_base"].replace("/production", "/staging") + "/api/v2.0/companies"
    assert sandbox.http.get(missing_env, headers=headers).status_code == 404


def test_entra_refusals_carry_aadsts_codes(sandbox, entra_app):
    bc = _tenant(sandbox, "initech")["dynamics"]
    creds = {
        "grant_type": "client_credentials",
        "client_id": entra_app["client_id"],
        "client_secret": entra_app["secret"],
    }
    no_scope = _entra_token(sandbox, bc["id"], **creds).json()
    assert no_scope["error"] == "invalid_request" and no_scope["error_codes"] == [900144]
    assert (
        no_scope["error_description"].startswith("AADSTS900144:")
        and no_scope["trace_id"]
        and no_scope["correlation_id"]
    )
    delegated = _entra_token(
        sandbox, bc["id"], **creds, scope="https://api.businesscentral.dynamics.com/Financials.ReadWrite.All"
    )
    assert delegated.json()["error"] == "invalid_scope" and delegated.json()["error_codes"] == [1002012]
    bad_secret = _entra_token(sandbox, bc["id"], **{**creds, "client_secret": "nope"}, scope=BC_SCOPE)
    assert bad_secret.status_code == 401 and bad_secret.json()["error_codes"] == [7000215]
    wrong_tenant = _entra_token(sandbox, "00000000-0000-0000-0000-000000000000", **creds, scope=BC_SCOPE)
    assert wrong_tenant.status_code == 400 and wrong_tenant.json()["error_codes"] == [90002]
    other_tenant = _entra_token(sandbox, _tenant(sandbox, "acme")["dynamics"]["id"], **creds, scope=BC_SCOPE)
    assert other_tenant.status_code == 400 and other_tenant.json()["error_codes"] == [700016]


def test_a_graph_token_does_not_open_business_central(sandbox):
    bc = _tenant(sandbox, "initech")["dynamics"]
    app = register(
        sandbox,
        tenant="initech",
        system="dynamics",
        scopes=[BC_SCOPE, "https://graph.microsoft.com/.default"],
    )
    graph = _entra_token(
        sandbox,
        bc["id"],
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["secret"],
        scope="https://graph.microsoft.com/.default",
    )
    assert graph.status_code == 200
    headers = {"Authorization": f"Bearer {graph.json()['access_token']}"}
    assert sandbox.http.get(bc["api_base"] + "/api/v2.0/companies", headers=headers).status_code == 401


def test_entra_authorization_code_with_offline_access_rotates_refresh_tokens(sandbox, entra_app):
    bc = _tenant(sandbox, "initech")["dynamics"]
    verifier, challenge = pkce()
    scope = "https://api.businesscentral.dynamics.com/Financials.ReadWrite.All offline_access"
    back = consent(
        sandbox,
        bc["authorize_url"],
        {
            "response_type": "code",
            "client_id": entra_app["client_id"],
            "redirect_uri": CALLBACK,
            "scope": scope,
            "state": "e1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    form = {
        "grant_type": "authorization_code",
        "client_id": entra_app["client_id"],
        "client_secret": entra_app["secret"],
        "code": back["code"],
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "scope": scope,
    }
    tokens = _entra_token(sandbox, "initech.onmicrosoft.com", **form).json()  # a verified domain works too
    assert tokens["scope"] == scope and tokens["refresh_token"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert sandbox.http.get(bc["api_base"] + "/api/v2.0/companies", headers=headers).status_code == 200
    refreshed = _entra_token(
        sandbox,
        bc["id"],
        grant_type="refresh_token",
        client_id=entra_app["client_id"],
        client_secret=entra_app["secret"],
        refresh_token=tokens["refresh_token"],
    ).json()
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != tokens["refresh_token"]
    reused = _entra_token(sandbox, bc["id"], **form).json()
    assert reused["error"] == "invalid_grant" and reused["error_codes"] == [54005]
