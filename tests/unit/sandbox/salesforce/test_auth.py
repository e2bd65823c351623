"""Salesforce's web server flow (authorization code + PKCE), JWT bearer flow and client credentials, as
the sandbox verifies them: the documented checks and Salesforce's own error answers."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.support.sandbox import Sandbox
from tests.unit.sandbox.helpers import CALLBACK, consent, key_and_certificate, pkce, register

TOKEN = "/salesforce/services/oauth2/token"
AUTHORIZE = "/salesforce/services/oauth2/authorize"
PROBE = "/salesforce/services/data/v60.0/sobjects"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACME_USER = "integration@northwind-advisory.com.sandbox"


@pytest.fixture(scope="module")
def web_app(sandbox_server):

    box = Sandbox(sandbox_server)
    return register(
        box,
        tenant="acme",
        system="salesforce",
        name="Flowbuilder Connect",
        redirect_uris=[CALLBACK],
        grants=["authorization_code", "refresh_token"],
        scopes=["api", "refresh_token"],
    )


def _code(sandbox, app, **extra):
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    back = consent(sandbox, sandbox.url + AUTHORIZE, params)
    assert back["state"] == "st-123"
    return back["code"], verifier


def _redeem(sandbox, app, code, verifier, **extra):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app["client_id"],
        "client_secret": app["secret"],
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        **extra,
    }
    return sandbox.http.post(sandbox.url + TOKEN, data=form)


def test_web_server_flow_with_pkce_gives_the_orgs_tokens(sandbox, web_app):
    code, verifier = _code(sandbox, web_app)
    resp = _redeem(sandbox, web_app, code, verifier)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    acme = sandbox.admin_request("GET", "tenants/acme").json()["systems"]["salesforce"]["id"]
    assert body["access_token"].startswith(acme[:15] + "!")  # a session id starts with its org id
    assert body["instance_url"] == sandbox.url + "/salesforce"
    assert f"/id/{acme}/" in body["id"] and body["refresh_token"] and body["scope"] == "api refresh_token"
    api = sandbox.http.get(sandbox.url + PROBE, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 200

    refreshed = sandbox.http.post(
        sandbox.url + TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": web_app["client_id"],
            "client_secret": web_app["secret"],
        },
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != body["access_token"]
    assert "refresh_token" not in refreshed.json()  # Salesforce keeps the refresh token; no rotation


def test_code_is_single_use_and_reuse_revokes_what_it_issued(sandbox, web_app):
    code, verifier = _code(sandbox, web_app)
    first = _redeem(sandbox, web_app, code, verifier).json()
    again = _redeem(sandbox, web_app, code, verifier)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    api = sandbox.http.get(sandbox.url + PROBE, headers={"Authorization": f"Bearer {first['access_token']}"})
    assert api.status_code == 401  # RFC 6749 4.1.2: the replay revoked the tokens of the first redemption


def test_wrong_or_missing_code_verifier_is_refused(sandbox, web_app):
    code, _ = _code(sandbox, web_app)
    wrong = _redeem(sandbox, web_app, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error_description"] == "invalid code verifier"
    code, _ = _code(sandbox, web_app)
    form = {"grant_type": "authorization_code", "code": code, "client_id": web_app["client_id"]}
    form.update(client_secret=web_app["secret"], redirect_uri=CALLBACK)
    missing = sandbox.http.post(sandbox.url + TOKEN, data=form)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_registration_and_the_token_request(sandbox, web_app):
    page = sandbox.http.get(
        sandbox.url + AUTHORIZE,
        params={
            "response_type": "code",
            "client_id": web_app["client_id"],
            "redirect_uri": "http://evil.test/cb",
        },
        allow_redirects=False,
    )
    assert page.status_code == 400 and "redirect_uri_mismatch" in page.text  # shown, never redirected
    code, verifier = _code(sandbox, web_app)
    other = _redeem(sandbox, web_app, code, verifier, redirect_uri=CALLBACK + "/other")
    assert other.json() == {
        "error": "redirect_uri_mismatch",
        "error_description": "redirect_uri must match configuration",
    }


def test_deny_redirects_with_access_denied_and_the_state(sandbox, web_app):
    params = {
        "response_type": "code",
        "client_id": web_app["client_id"],
        "redirect_uri": CALLBACK,
        "state": "s1",
    }
    back = consent(sandbox, sandbox.url + AUTHORIZE, params, decision="deny")
    assert back["error"] == "access_denied" and back["state"] == "s1" and "code" not in back


def test_bad_authorize_requests_go_back_with_an_error(sandbox, web_app):
    base = {"client_id": web_app["client_id"], "redirect_uri": CALLBACK, "state": "s2"}
    plain = sandbox.http.get(
        sandbox.url + AUTHORIZE,
        params={
            **base,
            "response_type": "code",
            "code_challenge": "x" * 43,
            "code_challenge_method": "plain",
        },
        allow_redirects=False,
    )
    assert plain.status_code == 302 and "error=invalid_request" in plain.headers["Location"]
    token = sandbox.http.get(
        sandbox.url + AUTHORIZE, params={**base, "response_type": "token"}, allow_redirects=False
    )
    assert (
        "error=unsupported_response_type" in token.headers["Location"]
        and "state=s2" in token.headers["Location"]
    )
    unknown = sandbox.http.get(
        sandbox.url + AUTHORIZE,
        params={**base, "client_id": "nope", "response_type": "code"},
        allow_redirects=False,
    )
    assert unknown.status_code == 400 and "invalid_client_id" in unknown.text


def test_consent_answer_needs_a_same_origin_post(sandbox, web_app):
    page = sandbox.http.get(
        sandbox.url + AUTHORIZE,
        params={"response_type": "code", "client_id": web_app["client_id"], "redirect_uri": CALLBACK},
    )
    request_id = page.text.split("name='request_id' value='", 1)[1].split("'", 1)[0]
    forged = sandbox.http.post(
        sandbox.url + AUTHORIZE,
        data={"request_id": request_id, "decision": "allow"},
        headers={"Origin": "http://evil.test"},
        allow_redirects=False,
    )
    assert forged.status_code == 403
    blind = sandbox.http.post(
        sandbox.url + AUTHORIZE, data={"request_id": request_id, "decision": "allow"}, allow_redirects=False
    )
    assert blind.status_code == 403  # a form post with neither Origin nor Referer


def test_unknown_client_and_unsupported_grant_in_salesforces_words(sandbox):
    unknown = sandbox.http.post(
        sandbox.url + TOKEN, data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    )
    assert unknown.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}
    odd = sandbox.http.post(sandbox.url + TOKEN, data={"grant_type": "implicit", "client_id": "x"})
    assert odd.json() == {"error": "unsupported_grant_type", "error_description": "grant type not supported"}


# -- JWT bearer flow ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jwt_app(sandbox_server):

    key, pem = key_and_certificate("rsa")
    app = register(
        Sandbox(sandbox_server),
        tenant="acme",
        system="salesforce",
        name="CI integration",
        grants=["jwt_bearer"],
        scopes=["api"],
        certificate=pem,
    )
    return app, key


def _assertion(key, iss, *, sub=ACME_USER, aud="https://login.salesforce.com", exp_in=120, alg="RS256"):
    claims = {"iss": iss, "sub": sub, "aud": aud, "exp": int(time.time()) + exp_in}
    return jwt.encode(claims, key, algorithm=alg)


def test_jwt_bearer_flow_with_the_apps_certificate(sandbox, jwt_app):
    app, key = jwt_app
    resp = sandbox.http.post(
        sandbox.url + TOKEN, data={"grant_type": JWT_BEARER, "assertion": _assertion(key, app["client_id"])}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "refresh_token" not in body and body["instance_url"] == sandbox.url + "/salesforce"
    api = sandbox.http.get(sandbox.url + PROBE, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 200
    own_login_url = _assertion(key, app["client_id"], aud=sandbox.url + "/salesforce")
    assert sandbox.http.post(
        sandbox.url + TOKEN, data={"grant_type": JWT_BEARER, "assertion": own_login_url}
    ).ok


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"aud": "https://evil.example"}, "audience is invalid"),
        ({"sub": "nobody@example.com"}, "user hasn't approved this consumer"),
        ({"exp_in": -60}, "invalid assertion: expired (exp is in the past)"),
        ({"exp_in": 3600}, "invalid assertion: exp may be at most 180 s ahead"),
    ],
)
def test_jwt_bearer_checks(sandbox, jwt_app, change, description):
    app, key = jwt_app
    assertion = _assertion(key, app["client_id"], **change)
    resp = sandbox.http.post(sandbox.url + TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion})
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": description}


def test_jwt_signed_with_another_key_or_algorithm_is_refused(sandbox, jwt_app):
    app, _ = jwt_app
    other, _ = key_and_certificate("rsa")
    forged = sandbox.http.post(
        sandbox.url + TOKEN, data={"grant_type": JWT_BEARER, "assertion": _assertion(other, app["client_id"])}
    )
    assert forged.status_code == 400 and "signature does not verify" in forged.json()["error_description"]
    hs = jwt.encode(
        {
            "iss": app["client_id"],
            "sub": ACME_USER,
            "aud": "https://login.salesforce.com",
            "exp": int(time.time()) + 60,
        },
        "k" * 32,
        algorithm="HS256",
    )
    refused = sandbox.http.post(sandbox.url + TOKEN, data={"grant_type": JWT_BEARER, "assertion": hs})
    assert refused.status_code == 400 and "alg must be one of RS256" in refused.json()["error_description"]


def test_client_credentials_of_a_registered_app_and_the_api_scope(sandbox):
    app = register(
        sandbox, tenant="globex", system="salesforce", grants=["client_credentials"], scopes=["api", "id"]
    )
    token = sandbox.http.post(
        sandbox.url + TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["secret"],
        },
    ).json()["access_token"]
    assert (
        sandbox.http.get(sandbox.url + PROBE, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    narrow = register(
        sandbox, tenant="globex", system="salesforce", grants=["client_credentials"], scopes=["id"]
    )
    token = sandbox.http.post(
        sandbox.url + TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": narrow["client_id"],
            "client_secret": narrow["secret"],
        },
    ).json()["access_token"]
    refused = sandbox.http.get(sandbox.url + PROBE, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401  # no api scope: not valid for the REST API
    not_enabled = sandbox.http.post(
        sandbox.url + TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": jwt_only_client(sandbox),
            "client_secret": "x",
        },
    )
    assert not_enabled.status_code == 400


def jwt_only_client(sandbox) -> str:
    _, pem = key_and_certificate("rsa")
    return register(sandbox, tenant="globex", system="salesforce", grants=["jwt_bearer"], certificate=pem)[
        "client_id"
    ]
