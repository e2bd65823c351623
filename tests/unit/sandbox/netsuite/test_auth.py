"""NetSuite per account: OAuth 2.0 client credentials (M2M) with a JWT client assertion, the authorization
code grant (HTTP Basic, refresh tokens that expire), token-based authentication (OAuth 1.0a HMAC-SHA256,
realm = account id), and the account id in the path naming the tenant."""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote

import jwt
import pytest

from sandbox.platform.oauth import oauth1
from sandbox.platform.oauth import server as oauth_server
from tests.support.sandbox import Sandbox
from tests.unit.sandbox.helpers import CALLBACK, basic, consent, key_and_certificate, pkce, register

ACME = "/netsuite/ACME"
TOKEN = "/services/rest/auth/oauth2/v1/token"
AUTHORIZE = "/app/login/oauth2/authorize.nl"
CUSTOMERS = "/services/rest/record/v1/customer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def m2m(sandbox_server):

    key, pem = key_and_certificate("ec")
    app = register(
        Sandbox(sandbox_server),
        tenant="acme",
        system="netsuite",
        name="M2M",
        grants=["client_assertion"],
        scopes=["rest_webservices", "restlets"],
        certificate=pem,
    )
    return app, key, app["certificates"][0]["id"]


def _assertion(sandbox, app, key, kid, **change):
    now = int(time.time())
    claims = {
        "iss": app["client_id"],
        "scope": "rest_webservices",
        "aud": sandbox.url + ACME + TOKEN,
        "iat": now,
        "exp": now + 3000,
    }
    claims.update({k: v for k, v in change.items() if k not in ("alg", "header_kid")})
    headers = {"kid": change.get("header_kid", kid), "typ": "JWT"}
    return jwt.encode(claims, key, algorithm=change.get("alg", "ES256"), headers=headers)


def _m2m_token(sandbox, assertion):
    return sandbox.http.post(
        sandbox.url + ACME + TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )


def test_client_credentials_with_a_signed_assertion(sandbox, m2m):
    app, key, kid = m2m
    resp = _m2m_token(sandbox, _assertion(sandbox, app, key, kid))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == "3600" and "refresh_token" not in body
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert sandbox.http.get(sandbox.url + ACME + CUSTOMERS + "?limit=1", headers=auth).status_code == 200
    # The token is ACME's: another account's URL refuses it.
    other = sandbox.http.get(sandbox.url + "/netsuite/GLOBEX" + CUSTOMERS + "?limit=1", headers=auth)
    assert other.status_code == 401 and other.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"header_kid": "not-mapped"}, "no certificate with id not-mapped"),
        ({"aud": "https://other.example/token"}, "audience is invalid"),
        ({"scope": "suite_analytics"}, "scope must be among"),
        ({"exp": int(time.time()) + 7200}, "exp may be at most 3600 s after iat"),
        ({"exp": int(time.time()) - 120}, "expired"),
    ],
)
def test_assertion_checks(sandbox, m2m, change, fragment):
    app, key, kid = m2m
    resp = _m2m_token(sandbox, _assertion(sandbox, app, key, kid, **change))
    assert resp.status_code == 400 and fragment in resp.json()["error_description"], resp.text


def test_rs256_and_a_foreign_key_are_refused(sandbox, m2m):
    app, _, kid = m2m
    rsa_key, _ = key_and_certificate("rsa")
    rs = _m2m_token(sandbox, _assertion(sandbox, app, rsa_key, kid, alg="RS256"))
    assert "alg must be one of PS256, PS384, PS512, ES256, ES384, ES512" in rs.json()["error_description"]
    ec_other, _ = key_and_certificate("ec")
    forged = _m2m_token(sandbox, _assertion(sandbox, app, ec_other, kid))
    assert forged.status_code == 400 and "signature does not verify" in forged.json()["error_description"]


def test_a_client_secret_is_no_m2m_credential(sandbox, m2m):
    app, _, _ = m2m
    resp = sandbox.http.post(
        sandbox.url + ACME + TOKEN,
        data={"grant_type": "client_credentials"},
        headers=basic(app["client_id"], app["secret"]),
    )
    assert resp.status_code == 400 and "client_assertion" in resp.json()["error_description"]


def test_certificates_netsuite_would_not_take_are_refused(sandbox):
    _, small = key_and_certificate("rsa", 2048)
    resp = sandbox.admin_request(
        "POST", "clients", json={"tenant": "acme", "system": "netsuite", "certificate": small}
    )
    assert resp.status_code == 400 and "3072 or 4096" in resp.json()["error"]


# -- authorization code -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web_app(sandbox_server):

    return register(
        Sandbox(sandbox_server),
        tenant="acme",
        system="netsuite",
        redirect_uris=[CALLBACK],
        grants=["authorization_code", "refresh_token"],
        refresh_token_hours=2,
    )


def _code(sandbox, app):
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(24)
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "rest_webservices restlets",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    back = consent(sandbox, sandbox.url + ACME + AUTHORIZE, params)
    assert back["state"] == state and back["company"] == "ACME" and back["role"] and back["entity"]
    return back["code"], verifier


def test_authorization_code_needs_basic_auth_and_refresh_tokens_expire(sandbox, web_app, monkeypatch):
    code, verifier = _code(sandbox, web_app)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    in_form = sandbox.http.post(
        sandbox.url + ACME + TOKEN,
        data={**form, "client_id": web_app["client_id"], "client_secret": web_app["secret"]},
    )
    assert in_form.status_code == 401 and in_form.json()["error"] == "invalid_client"
    resp = sandbox.http.post(
        sandbox.url + ACME + TOKEN, data=form, headers=basic(web_app["client_id"], web_app["secret"])
    )
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["refresh_token"] and tokens["expires_in"] == "3600"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert sandbox.http.get(sandbox.url + ACME + CUSTOMERS + "?limit=1", headers=auth).status_code == 200

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ok = sandbox.http.post(
        sandbox.url + ACME + TOKEN, data=refresh, headers=basic(web_app["client_id"], web_app["secret"])
    )
    assert ok.status_code == 200 and "refresh_token" not in ok.json()

    class Later:  # the integration record gives refresh tokens 2 hours: look 3 hours ahead
        @staticmethod
        def time() -> float:
            return time.time() + 3 * 3600

    monkeypatch.setattr(oauth_server, "time", Later)
    expired = sandbox.http.post(
        sandbox.url + ACME + TOKEN, data=refresh, headers=basic(web_app["client_id"], web_app["secret"])
    )
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_authorize_needs_scope_and_a_long_state(sandbox, web_app):
    base = {"response_type": "code", "client_id": web_app["client_id"], "redirect_uri": CALLBACK}
    short = sandbox.http.get(
        sandbox.url + ACME + AUTHORIZE,
        params={**base, "scope": "restlets", "state": "short"},
        allow_redirects=False,
    )
    assert short.status_code == 302 and "error=invalid_request" in short.headers["Location"]
    no_scope = sandbox.http.get(
        sandbox.url + ACME + AUTHORIZE, params={**base, "state": "s" * 30}, allow_redirects=False
    )
    assert "scope+is+required" in no_scope.headers["Location"]
    wrong_account = sandbox.http.get(
        sandbox.url + "/netsuite/GLOBEX" + AUTHORIZE, params={**base, "scope": "restlets", "state": "s" * 30}
    )
    assert wrong_account.status_code == 400  # the integration record is ACME's


# -- token-based authentication (OAuth 1.0a) --------------------------------------------------------
@pytest.fixture(scope="module")
def tba(sandbox_server):

    box = Sandbox(sandbox_server)
    app = register(box, tenant="acme", system="netsuite", grants=["tba"], scopes=["rest_webservices"])
    pair = box.admin_request("POST", f"clients/netsuite/{app['client_id']}/tba_tokens", json={})
    assert pair.status_code == 201
    return app, pair.json()


def _signed(sandbox, app, pair, method, path, query="", *, realm="ACME", nonce=None, secret=None, ts=None):
    params = {
        "oauth_consumer_key": app["client_id"],
        "oauth_token": pair["token_id"],
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(ts or int(time.time())),
        "oauth_nonce": nonce or secrets.token_hex(8),
        "oauth_version": "1.0",
    }
    url = sandbox.url + path
    pairs = [tuple(p.split("=", 1)) for p in query.split("&") if p] + list(params.items())
    base = oauth1.base_string(method, url, pairs)
    params["oauth_signature"] = oauth1.sign(base, secret or app["secret"], pair["token_secret"])
    header = "OAuth " + ", ".join(
        [f'realm="{realm}"'] + [f'{k}="{quote(v, safe="~")}"' for k, v in params.items()]
    )
    return sandbox.http.request(
        method, url + (f"?{query}" if query else ""), headers={"Authorization": header}
    )


def test_tba_signed_requests(sandbox, tba):
    app, pair = tba
    ok = _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=2&offset=0")
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["items"]) == 2
    assert _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=2", realm="GLOBEX").status_code == 401
    assert _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=2", secret="wrong").status_code == 401
    stale = _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=2", ts=int(time.time()) - 3600)
    assert stale.status_code == 401


def test_tba_nonce_cannot_be_replayed(sandbox, tba):
    app, pair = tba
    ts = int(time.time())
    first = _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=1", nonce="n0nce-123456", ts=ts)
    again = _signed(sandbox, app, pair, "GET", ACME + CUSTOMERS, "limit=1", nonce="n0nce-123456", ts=ts)
    assert first.status_code == 200 and again.status_code == 401


def test_unknown_account_in_the_path(sandbox):
    resp = sandbox.http.get(sandbox.url + "/netsuite/NOPE" + CUSTOMERS, headers=sandbox.auth("netsuite"))
    assert resp.status_code == 401 and "no account NOPE" in resp.json()["o:errorDetails"][0]["detail"]
