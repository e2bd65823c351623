"""The SDK's OAuth grants against a strict local authorization server (tests/support/fake_oauth.py):
authorization code with state and PKCE, refresh before expiry and once on a 401, reconnect when the
refresh token is refused, Salesforce's JWT bearer flow and NetSuite's JWT client assertion."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from connectors.errors import AuthError, InvalidInput, ReconnectRequired
from connectors.http.client import SafeClient
from connectors.http.jwt_grants import CLIENT_ASSERTION_TYPE, OAuth2ClientAssertion, OAuth2JWTBearer
from connectors.http.oauth_code import (
    OAuth2AuthorizationCode,
    authorization_url,
    exchange_code,
    new_pkce,
    pkce_challenge,
)
from tests.support.fake_oauth import FakeAuthServer
from tests.support.scripted_server import LOCAL


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def auth_server() -> Iterator[FakeAuthServer]:
    server = FakeAuthServer()
    yield server
    server.close()


def client_for(server: FakeAuthServer, auth=None) -> SafeClient:
    return SafeClient(policy=LOCAL, base_url=server.url + "/api", auth=auth, retries=0)


def consent(server: FakeAuthServer, url: str) -> dict[str, str]:
    """The browser at the authorize URL: the fake consents at once; return the callback's parameters."""
    http = SafeClient(policy=LOCAL, retries=0)
    response = http.get(url, follow_redirects=False, raise_for_status=False)
    assert response.status == 302
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


# --- authorization code with PKCE --------------------------------------------------------------------


def test_pkce_challenge_matches_rfc7636_appendix_b():
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    verifier, challenge = new_pkce()
    assert 43 <= len(verifier) <= 128 and challenge == pkce_challenge(verifier)
    assert new_pkce()[0] != verifier


def test_authorization_url_carries_state_pkce_and_keeps_existing_query():
    url = authorization_url(
        "https://login.example.com/authorize?prompt=consent",
        client_id="cid",
        redirect_uri="https://fb.example.com/oauth/callback/",
        state="s1",
        code_challenge="ch",
        scope="api refresh_token",
    )
    query = dict(parse_qsl(urlsplit(url).query))
    assert query == {
        "prompt": "consent",
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://fb.example.com/oauth/callback/",
        "state": "s1",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
        "scope": "api refresh_token",
    }


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_code_exchange_sends_verifier_and_redirect_uri_and_authenticates_client(auth_server, method):
    auth_server.client_auth = "post" if method == "client_secret_post" else "basic"
    auth_server.refresh_as_jwt_ttl = 7 * 86400
    verifier, challenge = new_pkce()
    redirect = "http://127.0.0.1/oauth/callback/"
    back = consent(
        auth_server,
        authorization_url(
            auth_server.url + "/authorize",
            client_id="app-client",
            redirect_uri=redirect,
            state="st",
            code_challenge=challenge,
        ),
    )
    assert back["state"] == "st"
    http = SafeClient(policy=LOCAL, retries=0)
    token = exchange_code(
        http,
        token_url=auth_server.url + "/token",
        client_id="app-client",
        client_secret="app-secret",
        auth_method=method,
        code=back["code"],
        redirect_uri=redirect,
        code_verifier=verifier,
    )
    assert token.access_token.startswith("at-") and token.refresh_token
    assert token.refresh_expires_at is not None  # read from the refresh token's own exp
    sent = auth_server.calls("/token", "authorization_code")[0]
    assert sent.form["code_verifier"] == verifier and sent.form["redirect_uri"] == redirect
    if method == "client_secret_basic":
        assert "client_secret" not in sent.form and sent.headers["Authorization"].startswith("Basic ")
    # The code is single use, and a wrong verifier is refused.
    with pytest.raises(AuthError) as used:
        exchange_code(
            http,
            token_url=auth_server.url + "/token",
            client_id="app-client",
            client_secret="app-secret",
            auth_method=method,
            code=back["code"],
            redirect_uri=redirect,
            code_verifier=verifier,
        )
    assert "invalid_grant" in used.value.message and not isinstance(used.value, ReconnectRequired)
    assert "app-secret" not in used.value.message


def test_code_exchange_refuses_a_verifier_that_does_not_match(auth_server):
    _, challenge = new_pkce()
    back = consent(
        auth_server,
        authorization_url(
            auth_server.url + "/authorize",
            client_id="app-client",
            redirect_uri="http://127.0.0.1/cb",
            state="x",
            code_challenge=challenge,
        ),
    )
    with pytest.raises(AuthError, match="PKCE"):
        exchange_code(
            SafeClient(policy=LOCAL, retries=0),
            token_url=auth_server.url + "/token",
            client_id="app-client",
            client_secret="app-secret",
            code=back["code"],
            redirect_uri="http://127.0.0.1/cb",
            code_verifier=new_pkce()[0],
        )


def connected(auth_server: FakeAuthServer, **kw) -> OAuth2AuthorizationCode:
    """An auth holding tokens the fake issued (as after Connect)."""
    issued = auth_server._issue(with_refresh=True)
    return OAuth2AuthorizationCode(
        auth_server.url + "/token",
        "app-client",
        "app-secret",
        access_token=issued["access_token"],
        expires_at=kw.pop("expires_at", None),
        refresh_token=issued["refresh_token"],
        **kw,
    )


def test_refreshes_shortly_before_expiry_and_once_on_401(auth_server):
    now = [1_000_000.0]
    seen_tokens = []
    auth = connected(auth_server, expires_at=now[0] + 3600, clock=lambda: now[0], on_token=seen_tokens.append)
    http = client_for(auth_server, auth)
    assert http.get("/x").status == 200
    assert auth.fetch_count == 0  # the stored access token is used as is
    now[0] += 3600 - 30  # inside the 60 s margin: renewed before it expires
    assert http.get("/x").status == 200
    assert auth.fetch_count == 1 and len(seen_tokens) == 1
    auth_server.expire_access_tokens()  # revoked early: the 401 renews once and the call is repeated
    assert http.get("/x").status == 200
    assert auth.fetch_count == 2
    assert [s.path for s in auth_server.requests].count("/api/x") == 4


def test_rotated_refresh_token_is_used_and_reported(auth_server):
    auth_server.rotate_refresh = True
    tokens = []
    auth = connected(auth_server, on_token=tokens.append)
    first_refresh = auth._refresh_token
    auth_server.expire_access_tokens()
    http = client_for(auth_server, auth)
    assert http.get("/x").status == 200
    assert tokens[0].refresh_token and tokens[0].refresh_token != first_refresh
    auth_server.expire_access_tokens()
    assert http.get("/x").status == 200  # the rotated one works, the first one was retired
    assert auth_server.calls("/token", "refresh_token")[-1].form["refresh_token"] == tokens[0].refresh_token


def test_refused_refresh_token_raises_reconnect_and_tells_the_listener(auth_server):
    heard = []
    auth = connected(auth_server)
    auth.reconnect_listener = lambda message: heard.append(message)
    auth_server.revoke_all()
    with pytest.raises(ReconnectRequired) as info:
        client_for(auth_server, auth).get("/x")
    assert info.value.reconnect_required and "Connect" in info.value.hint
    assert heard == ["expired access/refresh token"]


def test_listener_with_a_newer_refresh_token_retries_once_with_it(auth_server):
    auth_server.rotate_refresh = True
    auth = connected(auth_server)
    stale = auth._refresh_token
    newer = auth_server._issue(with_refresh=True)["refresh_token"]  # another worker's rotation
    auth_server._refresh.discard(stale)
    auth.reconnect_listener = lambda message: newer
    auth_server.expire_access_tokens()
    assert client_for(auth_server, auth).get("/x").status == 200
    sent = [c.form["refresh_token"] for c in auth_server.calls("/token", "refresh_token")]
    assert sent == [stale, newer]


def test_not_connected_and_non_refreshable_tokens_ask_to_reconnect(auth_server):
    heard = []
    never = OAuth2AuthorizationCode(auth_server.url + "/token", "app-client", "app-secret")
    never.reconnect_listener = heard.append
    with pytest.raises(ReconnectRequired, match="Not connected yet"):
        client_for(auth_server, never).get("/x")
    # Kantata: a token without expiry and without a refresh token, later revoked.
    access = auth_server._issue(with_refresh=False)["access_token"]
    kept = OAuth2AuthorizationCode(
        auth_server.url + "/token", "app-client", "app-secret", access_token=access
    )
    kept.reconnect_listener = heard.append
    http = client_for(auth_server, kept)
    assert http.get("/x").status == 200
    auth_server.revoke_all()
    with pytest.raises(AuthError):
        http.get("/x")
    assert heard == ["Not connected yet.", "The system refused the access token."]
    assert auth_server.calls("/token") == []  # nothing to renew with


# --- JWT bearer (Salesforce) ------------------------------------------------------------------------


def test_salesforce_jwt_bearer_grant_is_signed_rs256_with_documented_claims(auth_server, rsa_key):
    auth_server.public_keys["app-client"] = rsa_key.public_key()
    auth_server.jwt_subject = "integration@acme.example"
    auth_server.instance_url = "https://acme.my.salesforce.com"
    auth = OAuth2JWTBearer(
        auth_server.url + "/token",
        "app-client",
        subject="integration@acme.example",
        audience=auth_server.url,
        private_key=pem(rsa_key),
    )
    http = client_for(auth_server, auth)
    assert http.get("/x").status == 200
    sent = auth_server.calls("/token")[0].form
    assert sent["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert set(sent) == {"grant_type", "assertion"}  # no client secret in this flow
    header = jwt.get_unverified_header(sent["assertion"])
    claims = jwt.decode(
        sent["assertion"], rsa_key.public_key(), algorithms=["RS256"], audience=auth_server.url
    )
    assert header["alg"] == "RS256"
    assert claims["iss"] == "app-client" and claims["sub"] == "integration@acme.example"
    assert auth.current_token(http).raw["instance_url"] == "https://acme.my.salesforce.com"
    auth_server.expire_access_tokens()
    assert http.get("/x").status == 200 and auth.fetch_count == 2  # a new assertion on the 401
    assert pem(rsa_key).strip() not in repr(http.redactor.text(pem(rsa_key)))


def test_jwt_bearer_for_an_unapproved_user_is_an_auth_error(auth_server, rsa_key):
    auth_server.public_keys["app-client"] = rsa_key.public_key()
    auth_server.jwt_subject = "someone-else@acme.example"
    auth = OAuth2JWTBearer(
        auth_server.url + "/token",
        "app-client",
        subject="me@acme.example",
        audience=auth_server.url,
        private_key=pem(rsa_key),
    )
    with pytest.raises(AuthError, match="invalid_grant"):
        client_for(auth_server, auth).get("/x")


# --- client assertion (NetSuite M2M) ---------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
def test_client_assertion_has_the_header_and_claims_netsuite_documents(
    auth_server, rsa_key, ec_key, algorithm
):
    key = rsa_key if algorithm.startswith("PS") else ec_key
    auth_server.public_keys["cert-123"] = key.public_key()
    auth = OAuth2ClientAssertion(
        auth_server.url + "/token",
        "app-client",
        private_key=pem(key),
        key_id="cert-123",
        algorithm=algorithm,
        scopes=["rest_webservices", "restlets"],
    )
    assert client_for(auth_server, auth).get("/x").status == 200
    sent = auth_server.calls("/token")[0].form
    assert sent["grant_type"] == "client_credentials"
    assert sent["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert "client_secret" not in sent and "client_id" not in sent
    header = jwt.get_unverified_header(sent["client_assertion"])
    assert header == {"alg": algorithm, "typ": "JWT", "kid": "cert-123"}
    claims = json.loads(base64.urlsafe_b64decode(sent["client_assertion"].split(".")[1] + "=="))
    assert set(claims) == {"iss", "aud", "iat", "exp", "scope"}
    assert claims["iss"] == "app-client" and claims["aud"] == auth_server.url + "/token"
    assert claims["scope"] == ["rest_webservices", "restlets"]
    assert 0 < claims["exp"] - claims["iat"] < 3600


def test_client_assertion_with_an_unregistered_certificate_is_refused(auth_server, rsa_key):
    auth = OAuth2ClientAssertion(
        auth_server.url + "/token", "app-client", private_key=pem(rsa_key), key_id="nope", algorithm="PS256"
    )
    with pytest.raises(AuthError) as info:
        client_for(auth_server, auth).get("/x")
    assert not isinstance(info.value, ReconnectRequired)


def test_keys_that_do_not_fit_the_algorithm_are_refused_without_echoing(rsa_key, ec_key):
    with pytest.raises(InvalidInput, match="ES256 needs an EC"):
        OAuth2ClientAssertion("https://t", "c", private_key=pem(rsa_key), key_id="k", algorithm="ES256")
    with pytest.raises(InvalidInput, match="needs an RSA key"):
        OAuth2ClientAssertion("https://t", "c", private_key=pem(ec_key), key_id="k", algorithm="PS256")
    with pytest.raises(InvalidInput) as bad:
        OAuth2ClientAssertion("https://t", "c", private_key="not-a-key-SECRET", key_id="k")
    assert "SECRET" not in bad.value.message and "private_key" in bad.value.message


def test_netsuite_m2m_wants_the_key_sizes_netsuite_accepts(rsa_key, ec_key):
    from connectors.erp.netsuite.auth import CLIENT_CREDENTIALS

    values = {"client_id": "c", "certificate_id": "k", "algorithm": "PS256", "private_key": pem(rsa_key)}
    config = {"base_url": "https://1234567.suitetalk.api.netsuite.com"}
    with pytest.raises(InvalidInput, match="2048 bits; at least 3072"):
        CLIENT_CREDENTIALS.make_auth(values, config=config)
    auth = CLIENT_CREDENTIALS.make_auth(
        {**values, "algorithm": "ES256", "private_key": pem(ec_key)}, config=config
    )
    assert auth.token_url == "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
    assert auth.audience == auth.token_url and auth.key_id == "k"
