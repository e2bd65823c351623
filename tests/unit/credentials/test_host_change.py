"""A builder must not redirect a stored credential by editing a URL: changing where a connection sends its
credentials (base URL host, token URL, login URL, NetSuite account) needs the secret entered again or an
admin's confirmation, and the audit row names both hosts. The next run proves where the token goes."""

from __future__ import annotations

import pytest

from flowbuilder.audit.models import AuditEvent
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.credentials import actions, runtime
from flowbuilder.credentials.models import AuthState
from flowbuilder.credentials.vault import get_vault
from tests.support.http_endpoint import Endpoint

pytestmark = pytest.mark.django_db
SECRET = "tok-ADMIN-SECRET-1"


@pytest.fixture
def other_endpoint():
    ep = Endpoint()
    yield ep
    ep.close()


def origin(url: str) -> str:
    host, port = url.split("//")[1].split(":")
    return f"http://{host}:{port}"


def tokens_seen(endpoint: Endpoint) -> list[str]:
    return [h.get("Authorization", "") for hs in endpoint.headers.values() for h in hs]


def call(org, conn) -> None:
    runtime.clear_cache()
    runtime.open_connection(org.pk, conn.ref).http.get("/ping", raise_for_status=False)


def test_changing_the_host_without_the_secret_is_refused_and_the_token_stays_home(
    org, builder, make_connection, endpoint, other_endpoint
):
    conn = make_connection(endpoint.url + "/v1", credentials={"token": SECRET})
    since = AuditEvent.objects.count()
    with pytest.raises(InvalidInputError) as refused:
        actions.update_connection(actor=builder, connection=conn, base_url=other_endpoint.url + "/v1")
    assert refused.value.field == "credentials.token"
    assert origin(other_endpoint.url) in refused.value.message and SECRET not in refused.value.message
    assert AuditEvent.objects.count() == since
    conn.refresh_from_db()
    assert conn.base_url == endpoint.url + "/v1"
    call(org, conn)
    assert tokens_seen(endpoint) == [f"Bearer {SECRET}"] and tokens_seen(other_endpoint) == []


def test_a_path_change_on_the_same_host_keeps_the_secret(org, builder, make_connection, endpoint):
    conn = make_connection(endpoint.url + "/v1", credentials={"token": SECRET})
    actions.update_connection(actor=builder, connection=conn, base_url=endpoint.url + "/v2")
    assert get_vault().decrypt(conn.secrets_ciphertext) == {"token": SECRET}
    audit = AuditEvent.objects.filter(action="connection.update").latest("id")
    assert "hosts" not in audit.after


def test_entering_the_secret_again_moves_only_the_new_secret(
    org, builder, make_connection, endpoint, other_endpoint
):
    conn = make_connection(endpoint.url + "/v1", credentials={"token": SECRET})
    actions.update_connection(
        actor=builder, connection=conn, base_url=other_endpoint.url + "/v1", credentials={"token": "tok-NEW"}
    )
    call(org, conn)
    assert tokens_seen(other_endpoint) == ["Bearer tok-NEW"] and tokens_seen(endpoint) == []
    audit = AuditEvent.objects.filter(action="connection.update").latest("id")
    assert audit.before["hosts"] == [origin(endpoint.url)]
    assert audit.after["hosts"] == [origin(other_endpoint.url)]
    assert audit.after["host_change"] == "secrets re-entered"
    assert SECRET not in str(audit.before) + str(audit.after)


def test_only_an_admin_may_confirm_a_new_host_for_the_stored_secret(
    org, admin, builder, make_connection, endpoint, other_endpoint
):
    conn = make_connection(endpoint.url + "/v1", credentials={"token": SECRET})
    with pytest.raises(PermissionDeniedError):
        actions.update_connection(
            actor=builder, connection=conn, base_url=other_endpoint.url, confirm_host_change=True
        )
    actions.update_connection(
        actor=admin, connection=conn, base_url=other_endpoint.url, confirm_host_change=True
    )
    call(org, conn)
    assert tokens_seen(other_endpoint) == [f"Bearer {SECRET}"]
    audit = AuditEvent.objects.filter(action="connection.update").latest("id")
    assert audit.actor_id == admin.pk and audit.after["host_change"] == "confirmed by admin"
    assert audit.before["hosts"] != audit.after["hosts"]


def test_a_new_token_url_host_needs_the_client_secret_again(builder, make_connection):
    conn = make_connection(
        "https://api.example.com",
        credential_type="oauth2_client_credentials",
        credentials={
            "token_url": "https://login.example.com/token",
            "client_id": "c",
            "client_secret": SECRET,
        },
    )
    with pytest.raises(InvalidInputError) as refused:
        actions.update_connection(
            actor=builder, connection=conn, credentials={"token_url": "https://collector.example.net/token"}
        )
    assert refused.value.field == "credentials.client_secret"
    assert "https://collector.example.net:443" in refused.value.message
    same_host = actions.update_connection(
        actor=builder, connection=conn, credentials={"token_url": "https://login.example.com/v2/token"}
    )
    assert get_vault().decrypt(same_host.secrets_ciphertext)["client_secret"] == SECRET


def test_a_netsuite_account_change_moves_the_hosts_too(builder, make_connection):
    conn = make_connection(
        "https://1234567.suitetalk.api.netsuite.com",
        connector="netsuite",
        credential_type="netsuite_tba",
        credentials={
            "consumer_key": "ck",
            "consumer_secret": SECRET,
            "token_id": "ti",
            "token_secret": SECRET,
        },
    )
    with pytest.raises(InvalidInputError, match="7654321.suitetalk.api.netsuite.com"):
        actions.update_connection(
            actor=builder, connection=conn, base_url="https://7654321.suitetalk.api.netsuite.com"
        )


def test_a_connected_connection_moved_elsewhere_must_connect_again(admin, builder, make_connection):
    conn = make_connection(
        "https://api.example.com",
        credential_type="oauth2_authorization_code",
        credentials={
            "authorize_url": "https://login.example.com/authorize",
            "token_url": "https://login.example.com/token",
            "client_id": "c",
            "client_secret": SECRET,
        },
    )
    stored = {
        "client_secret": SECRET,
        "access_token": "at-LIVE",
        "refresh_token": "rt-LIVE",
        "expires_at": 9e9,
    }
    conn.secrets_ciphertext = get_vault().encrypt(stored)
    conn.secret_fields_set = sorted(stored)
    conn.auth_state = AuthState.CONNECTED
    conn.save()
    moved = actions.update_connection(
        actor=builder,
        connection=conn,
        base_url="https://elsewhere.example.net",
        credentials={"client_secret": "s2"},
    )
    assert get_vault().decrypt(moved.secrets_ciphertext) == {"client_secret": "s2"}  # tokens stayed behind
    assert moved.auth_state == AuthState.NOT_CONNECTED
