"""Connect (OAuth authorization code with state and PKCE) through the credentials actions, against a strict
local authorization server: pending authorizations are single use, bound to the person and short-lived;
tokens go to the vault; the instance URL is recorded; a lapsed grant puts the connection into
"reconnect"; NetSuite's refresh token lifetime becomes ``credential_expires_at``; API usage is stored at
most once a minute."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from connectors.http.oauth_code import pkce_challenge
from flowbuilder.audit.models import AuditEvent
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.credentials import actions, connect, runtime
from flowbuilder.credentials.models import AuthState, Connection, PendingAuthorization
from flowbuilder.credentials.vault import get_vault
from tests.support.fake_oauth import FakeAuthServer
from tests.support.sandbox_auth import consent

pytestmark = pytest.mark.django_db
REDIRECT = "http://testserver/oauth/callback/"


@pytest.fixture
def auth_server() -> Iterator[FakeAuthServer]:
    server = FakeAuthServer()
    yield server
    server.close()


@pytest.fixture
def http_connect(make_connection, auth_server):
    """A generic HTTP connection authorised with Connect, against the fake server."""

    def make(**kw):
        return make_connection(
            auth_server.url + "/api",
            credential_type="oauth2_authorization_code",
            credentials={
                "authorize_url": auth_server.authorize_url,
                "token_url": auth_server.token_url,
                "client_id": "app-client",
                "client_secret": "app-secret",
                "scope": "read write",
            },
            **kw,
        )

    return make


def run_connect(actor, connection, redirect=REDIRECT):
    started = connect.start_authorization(actor=actor, connection=connection, redirect_uri=redirect)
    back = consent(started.authorize_url)
    return started, back, connect.complete_authorization(actor=actor, state=back["state"], code=back["code"])


def vault_of(connection: Connection) -> dict:
    connection.refresh_from_db()
    return get_vault().decrypt(connection.secrets_ciphertext)


def test_connect_stores_tokens_and_the_connection_tests_green(admin, http_connect, auth_server):
    conn = http_connect()
    assert conn.auth_state == AuthState.NOT_CONNECTED
    first = actions.test_connection(actor=admin, connection=conn)
    assert not first.ok and "Not connected yet" in first.message
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.NOT_CONNECTED  # not "reconnect": it never was connected
    since = AuditEvent.objects.count()

    started = connect.start_authorization(actor=admin, connection=conn, redirect_uri=REDIRECT)
    query = dict(parse_qsl(urlsplit(started.authorize_url).query))
    assert query["response_type"] == "code" and query["client_id"] == "app-client"
    assert query["redirect_uri"] == REDIRECT and query["scope"] == "read write"
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32
    pending = PendingAuthorization.objects.get(connection=conn)
    assert (
        pending.state_hash == hashlib.sha256(query["state"].encode()).hexdigest()
    )  # the state itself is not stored
    verifier = get_vault().decrypt(pending.verifier_ciphertext)["code_verifier"]
    assert pkce_challenge(verifier) == query["code_challenge"]
    assert timedelta(minutes=9) < pending.expires_at - timezone.now() <= timedelta(minutes=10)

    back = consent(started.authorize_url)
    done = connect.complete_authorization(actor=admin, state=back["state"], code=back["code"])
    assert done.auth_state == AuthState.CONNECTED and done.connected_at is not None
    stored = vault_of(conn)
    assert stored["client_secret"] == "app-secret" and stored["access_token"].startswith("at-")
    assert stored["refresh_token"].startswith("rt-") and stored["expires_at"] > time.time() + 3000
    assert set(conn.secret_fields_set) == {"access_token", "client_secret", "expires_at", "refresh_token"}
    assert not PendingAuthorization.objects.exists()  # consumed
    rows = list(AuditEvent.objects.order_by("id")[since:].values_list("action", flat=True))
    assert rows == ["connection.authorize", "connection.connect"]
    audit = AuditEvent.objects.get(action="connection.connect")
    assert stored["access_token"] not in str(audit.after) and stored["refresh_token"] not in str(audit.after)

    result = actions.test_connection(actor=admin, connection=conn)
    assert result.ok, result.message


def test_a_callback_is_single_use_bound_to_its_user_and_short_lived(
    admin, org, make_user, http_connect, settings
):
    conn = http_connect()
    started = connect.start_authorization(actor=admin, connection=conn, redirect_uri=REDIRECT)
    back = consent(started.authorize_url)
    other_admin = make_user("bob", org, "admin")
    with pytest.raises(InvalidInputError, match="another user") as other:
        connect.complete_authorization(actor=other_admin, state=back["state"], code=back["code"])
    assert other.value.field == "state"
    with pytest.raises(InvalidInputError, match="unknown, already used or expired"):  # consumed by that try
        connect.complete_authorization(actor=admin, state=back["state"], code=back["code"])

    _, back, _ = run_connect(admin, conn)
    with pytest.raises(InvalidInputError, match="already used"):
        connect.complete_authorization(actor=admin, state=back["state"], code=back["code"])

    settings.FLOWBUILDER_OAUTH_PENDING_TTL_S = -1
    started = connect.start_authorization(actor=admin, connection=conn, redirect_uri=REDIRECT)
    back = consent(started.authorize_url)
    with pytest.raises(InvalidInputError, match="expired"):
        connect.complete_authorization(actor=admin, state=back["state"], code=back["code"])


def test_refused_consent_and_a_moved_token_endpoint_are_refused(admin, http_connect, auth_server):
    conn = http_connect()
    started = connect.start_authorization(actor=admin, connection=conn, redirect_uri=REDIRECT)
    state = dict(parse_qsl(urlsplit(started.authorize_url).query))["state"]
    with pytest.raises(InvalidInputError, match="access_denied"):
        connect.complete_authorization(
            actor=admin, state=state, error="access_denied", error_description="no"
        )

    started = connect.start_authorization(actor=admin, connection=conn, redirect_uri=REDIRECT)
    back = consent(started.authorize_url)
    other = FakeAuthServer()
    try:
        actions.update_connection(
            actor=admin,
            connection=conn,
            credentials={"token_url": other.token_url, "client_secret": "app-secret"},
        )
        with pytest.raises(InvalidInputError, match="token endpoint changed"):
            connect.complete_authorization(actor=admin, state=back["state"], code=back["code"])
        assert other.requests == []
    finally:
        other.close()


def test_only_roles_that_change_connections_may_connect(http_connect, org, make_user):
    conn = http_connect()
    operator = make_user("olga", org, "operator")
    with pytest.raises(PermissionDeniedError):
        connect.start_authorization(actor=operator, connection=conn, redirect_uri=REDIRECT)


def test_typed_types_do_not_connect_and_tokens_cannot_be_typed(admin, make_connection, http_connect):
    bearer = make_connection("https://api.example.com")
    with pytest.raises(InvalidInputError, match="not authorised with Connect"):
        connect.start_authorization(actor=admin, connection=bearer, redirect_uri=REDIRECT)
    conn = http_connect()
    with pytest.raises(InvalidInputError, match="set by Connect") as typed:
        actions.update_connection(actor=admin, connection=conn, credentials={"refresh_token": "pasted"})
    assert typed.value.field == "credentials.refresh_token"


def test_lapsed_refresh_token_puts_the_connection_into_reconnect_once(admin, http_connect, auth_server):
    conn = http_connect()
    run_connect(admin, conn)
    stored = vault_of(conn)
    stored["expires_at"] = time.time() - 10  # the access token ran out: the next call refreshes
    Connection.objects.filter(pk=conn.pk).update(secrets_ciphertext=get_vault().encrypt(stored))
    auth_server.revoke_all()
    runtime.clear_cache()
    result = actions.test_connection(actor=admin, connection=conn)
    assert not result.ok and "invalid_grant" in result.message and "Connect" in result.message
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.RECONNECT and "expired" in conn.auth_state_message
    assert AuditEvent.objects.filter(action="connection.reconnect_required").count() == 1
    actions.test_connection(actor=admin, connection=conn)
    assert AuditEvent.objects.filter(action="connection.reconnect_required").count() == 1  # once

    run_connect(admin, conn)  # connecting again clears it
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.CONNECTED and conn.auth_state_message == ""
    assert actions.test_connection(actor=admin, connection=conn).ok


def test_a_run_that_refreshes_stores_the_new_tokens_for_every_process(admin, org, http_connect, auth_server):
    auth_server.rotate_refresh = True
    conn = http_connect()
    run_connect(admin, conn)
    before = vault_of(conn)
    stored = dict(before, expires_at=time.time() - 10)
    Connection.objects.filter(pk=conn.pk).update(secrets_ciphertext=get_vault().encrypt(stored))
    version = Connection.objects.get(pk=conn.pk).secrets_version
    handle = runtime.open_connection(org.pk, conn.ref)
    assert handle.http.get("").ok
    after = vault_of(conn)
    assert (
        after["refresh_token"] != before["refresh_token"] and after["access_token"] != before["access_token"]
    )
    assert after["expires_at"] > time.time() + 3000
    assert conn.secrets_version == version + 1


def test_a_refresh_token_another_process_rotated_is_adopted_not_reconnect(
    admin, org, http_connect, auth_server
):
    auth_server.rotate_refresh = True
    conn = http_connect()
    run_connect(admin, conn)
    stale = vault_of(conn)
    stale["expires_at"] = time.time() - 10
    Connection.objects.filter(pk=conn.pk).update(secrets_ciphertext=get_vault().encrypt(stale))
    first = runtime.open_connection(org.pk, conn.ref)  # built with the old refresh token
    # Another worker refreshes (rotating the refresh token) and stores the result.
    runtime.clear_cache()
    runtime.build_runtime(Connection.objects.get(pk=conn.pk), stale).http.get("")
    assert vault_of(conn)["refresh_token"] != stale["refresh_token"]
    # The first runtime's refresh token is now refused: it adopts the stored one instead of failing.
    assert first.http.get("").ok
    conn.refresh_from_db()
    assert conn.auth_state == AuthState.CONNECTED
    assert not AuditEvent.objects.filter(action="connection.reconnect_required").exists()


def test_salesforce_connect_records_the_instance_url_and_api_usage(
    admin, make_connection, auth_server, settings
):
    auth_server.token_path = "/services/oauth2/token"
    auth_server.authorize_path = "/services/oauth2/authorize"
    auth_server.instance_url = auth_server.url + "/api/org"
    auth_server.api_headers = {"Sforce-Limit-Info": "api-usage=18/5000"}
    conn = make_connection(
        "https://login.example.invalid",
        connector="salesforce",
        credential_type="salesforce_web_server",
        credentials={"login_url": auth_server.url, "client_id": "app-client", "client_secret": "app-secret"},
    )
    started, _, done = run_connect(admin, conn)
    assert dict(parse_qsl(urlsplit(started.authorize_url).query))["scope"] == "api refresh_token"
    assert done.base_url == auth_server.url + "/api/org"
    audit = AuditEvent.objects.get(action="connection.connect")
    assert audit.before["base_url"] == "https://login.example.invalid"
    assert audit.after["base_url"] == auth_server.url + "/api/org"

    assert actions.test_connection(actor=admin, connection=done).ok
    done.refresh_from_db()
    assert (done.api_usage_used, done.api_usage_limit) == (18, 5000)
    first_at = done.api_usage_at
    auth_server.api_headers = {"Sforce-Limit-Info": "api-usage=19/5000"}
    actions.test_connection(actor=admin, connection=done)
    done.refresh_from_db()
    assert done.api_usage_used == 18 and done.api_usage_at == first_at  # at most once a minute
    settings.FLOWBUILDER_API_USAGE_WRITE_S = 0
    runtime.clear_cache()
    actions.test_connection(actor=admin, connection=done)
    done.refresh_from_db()
    assert done.api_usage_used == 19


def test_netsuite_connect_knows_when_the_refresh_token_lapses(admin, make_connection, auth_server):
    auth_server.token_path = "/services/rest/auth/oauth2/v1/token"
    auth_server.authorize_path = "/app/login/oauth2/authorize.nl"
    auth_server.client_auth = "basic"  # NetSuite's token requests authenticate with HTTP Basic
    conn = make_connection(
        auth_server.url,
        connector="netsuite",
        credential_type="netsuite_authorization_code",
        credentials={"client_id": "app-client", "client_secret": "app-secret"},
    )
    _, _, done = run_connect(admin, conn)  # an opaque refresh token: the documented 7 days
    assert timedelta(days=7) - (done.credential_expires_at - timezone.now()) < timedelta(minutes=1)
    assert auth_server.calls(auth_server.token_path)[0].headers["Authorization"].startswith("Basic ")

    auth_server.refresh_as_jwt_ttl = 2 * 86400  # a JWT refresh token: its own exp wins
    _, _, done = run_connect(admin, conn)
    assert timedelta(days=2) - (done.credential_expires_at - timezone.now()) < timedelta(minutes=1)
