"""Token endpoints, bearer checks in each system's error shape, expiry and refresh."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.sandbox import CLIENT, TOKEN_PATHS

PROBES = {
    "salesforce": "/salesforce/services/data/v60.0/sobjects",
    "kantata": "/kantata/api/v1/workspaces.json",
    "netsuite": "/netsuite/services/rest/record/v1/customer?limit=1",
    "dynamics": "/dynamics/api/v2.0/companies",
}


@pytest.mark.parametrize("system", sorted(TOKEN_PATHS))
def test_client_credentials_token_then_authorised_call(sandbox, system):
    resp = sandbox.http.post(
        sandbox.url + TOKEN_PATHS[system], data={"grant_type": "client_credentials", **CLIENT}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["access_token"] and body["token_type"].lower() == "bearer"
    ok = sandbox.http.get(
        sandbox.url + PROBES[system], headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert ok.status_code == 200, ok.text


def test_salesforce_token_points_instance_url_back_at_the_sandbox(sandbox):
    body = sandbox.http.post(
        sandbox.url + TOKEN_PATHS["salesforce"], data={"grant_type": "client_credentials", **CLIENT}
    ).json()
    assert body["instance_url"] == sandbox.url + "/salesforce"
    assert body["issued_at"].isdigit()
    assert "refresh_token" not in body  # client_credentials never returns one on a real org either


def test_wrong_secret_is_refused(sandbox):
    resp = sandbox.http.post(
        sandbox.url + TOKEN_PATHS["salesforce"],
        data={"grant_type": "client_credentials", "client_id": "sandbox-client", "client_secret": "nope"},
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_client"


def test_missing_token_gets_each_systems_401_shape(sandbox):
    sf = sandbox.http.get(sandbox.url + PROBES["salesforce"])
    assert sf.status_code == 401 and sf.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    ka = sandbox.http.get(sandbox.url + PROBES["kantata"])
    assert ka.status_code == 401 and ka.json()["errors"][0]["type"] == "oauth"
    ns = sandbox.http.get(sandbox.url + PROBES["netsuite"])
    assert ns.status_code == 401 and ns.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    bc = sandbox.http.get(sandbox.url + PROBES["dynamics"])
    assert bc.status_code == 401 and bc.json()["error"]["code"] == "Authentication_InvalidCredentials"


def test_expire_tokens_fault_forces_a_refresh(sandbox):
    # Authorization-code grant is the one that yields a refresh token (the sandbox approves any code).
    grant = sandbox.http.post(
        sandbox.url + TOKEN_PATHS["salesforce"],
        data={
            "grant_type": "authorization_code",
            "code": "abc",
            "redirect_uri": "http://localhost/cb",
            **CLIENT,
        },
    ).json()
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    assert sandbox.http.get(sandbox.url + PROBES["salesforce"], headers=headers).status_code == 200

    sandbox.admin_request(
        "POST", "faults", json={"system": "salesforce", "kind": "expire_tokens", "count": 1}
    )
    expired = sandbox.http.get(sandbox.url + PROBES["salesforce"], headers=headers)
    assert expired.status_code == 401
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    # The old token stays dead after the fault is used up.
    assert sandbox.http.get(sandbox.url + PROBES["salesforce"], headers=headers).status_code == 401

    refreshed = sandbox.http.post(
        sandbox.url + TOKEN_PATHS["salesforce"],
        data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"], **CLIENT},
    )
    assert refreshed.status_code == 200
    new_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert sandbox.http.get(sandbox.url + PROBES["salesforce"], headers=new_headers).status_code == 200


def test_admin_expire_tokens_is_per_system(sandbox):
    sf, ns = sandbox.auth("salesforce"), sandbox.auth("netsuite")
    assert sandbox.admin_request("POST", "expire_tokens", json={"system": "netsuite"}).status_code == 200
    assert sandbox.http.get(sandbox.url + PROBES["netsuite"], headers=ns).status_code == 401
    assert sandbox.http.get(sandbox.url + PROBES["salesforce"], headers=sf).status_code == 200


def test_token_lifetime_is_configurable(sandbox):
    sandbox.admin_request("POST", "config", json={"token_ttl": 1})
    headers = sandbox.auth("kantata")
    assert sandbox.http.get(sandbox.url + PROBES["kantata"], headers=headers).status_code == 200
    time.sleep(1.2)
    assert sandbox.http.get(sandbox.url + PROBES["kantata"], headers=headers).status_code == 401


def test_token_of_one_system_is_not_valid_for_another(sandbox):
    headers = sandbox.auth("kantata")
    assert sandbox.http.get(sandbox.url + PROBES["dynamics"], headers=headers).status_code == 401


def test_salesforce_authorize_redirects_with_code_and_state_after_consent(sandbox):
    consent = sandbox.http.get(
        sandbox.url + "/salesforce/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT["client_id"],
            "redirect_uri": "http://localhost:9/cb",
            "state": "xyz",
        },
        allow_redirects=False,
    )
    assert consent.status_code == 200 and "Allow access" in consent.text
    request_id = re.search(r"name='request_id' value='([^']+)'", consent.text).group(1)
    resp = sandbox.http.post(
        sandbox.url + "/salesforce/services/oauth2/authorize",
        data={"request_id": request_id, "decision": "allow"},
        headers={"Origin": sandbox.url},
        allow_redirects=False,
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("http://localhost:9/cb?code=")
    assert "state=xyz" in resp.headers["Location"]
