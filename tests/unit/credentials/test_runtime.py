"""open_connection in a worker: tenant scoping, caching of the live runtime (and its OAuth token),
persisting rotated refresh tokens, and the once-per-run "credential use" audit row."""

from __future__ import annotations

import pytest

from flowbuilder.audit.models import AuditEvent
from flowbuilder.core.errors import NodeError
from flowbuilder.credentials import actions, runtime
from flowbuilder.credentials.models import Connection
from flowbuilder.credentials.vault import get_vault

pytestmark = pytest.mark.django_db


def test_another_organisations_connection_is_simply_not_found(make_connection, make_org, org):
    conn = make_connection()
    other = make_org("Globex")
    with pytest.raises(NodeError) as foreign:
        runtime.open_connection(other.pk, str(conn.pk))
    with pytest.raises(NodeError) as missing:
        runtime.open_connection(other.pk, "999999")
    # Same words either way: no oracle telling whether the id exists elsewhere.
    assert foreign.value.message.replace(str(conn.pk), "X") == missing.value.message.replace("999999", "X")
    assert "not found" in foreign.value.message
    for bad in ("", "abc", "conn_", "1; drop table", None):
        with pytest.raises(NodeError, match="not found"):
            runtime.open_connection(org.pk, bad)
    assert runtime.open_connection(org.pk, conn.ref).connector_key == "http"
    assert runtime.open_connection(org.pk, str(conn.pk)).connection_id == str(conn.pk)


def test_the_runtime_is_reused_until_the_connection_changes(make_connection, org, admin):
    conn = make_connection()
    first = runtime.open_connection(org.pk, conn.pk)
    assert runtime.open_connection(org.pk, conn.pk) is first
    actions.update_connection(actor=admin, connection=conn, credentials={"token": "tok-NEW-456"})
    assert runtime.open_connection(org.pk, conn.pk) is not first
    org.egress_allowlist = [*org.egress_allowlist, "10.0.0.0/8"]
    org.save()
    third = runtime.open_connection(org.pk, conn.pk)
    assert runtime.open_connection(org.pk, conn.pk) is third


def test_undecryptable_secrets_fail_the_node_with_a_clear_message(make_connection, org, settings):
    conn = make_connection()
    from cryptography.fernet import Fernet

    settings.FLOWBUILDER_SECRET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(NodeError, match="FLOWBUILDER_SECRET_KEYS"):
        runtime.open_connection(org.pk, conn.pk)


def _oauth(endpoint, *, refresh: bool):
    issued = {"n": 0}

    def token(n, body):
        issued["n"] += 1
        reply = {"access_token": f"at-{n}", "token_type": "Bearer", "expires_in": 3600}
        if refresh:
            reply["refresh_token"] = f"rt-rotated-{n}"
        return 200, {}, reply

    endpoint.route("/oauth/token", token)
    return issued


def test_oauth_token_is_fetched_once_per_process_not_per_item_or_node(make_connection, org, endpoint):
    issued = _oauth(endpoint, refresh=False)
    conn = make_connection(
        endpoint.url,
        credential_type="oauth2_client_credentials",
        credentials={"token_url": endpoint.url + "/oauth/token", "client_id": "cid", "client_secret": "cs-X"},
    )
    for _node in range(3):  # three nodes (or runs) in this worker, each sending three items
        handle = runtime.open_connection(org.pk, conn.pk, run_id=1)
        for _item in range(3):
            handle.run_action("request", {"method": "GET", "path": "/records"})
    assert endpoint.calls["/records"] == 9
    assert issued["n"] == 1


def test_rotated_refresh_token_is_persisted_encrypted(make_connection, org, endpoint):
    _oauth(endpoint, refresh=True)
    conn = make_connection(
        endpoint.url,
        credential_type="oauth2_refresh_token",
        credentials={
            "token_url": endpoint.url + "/oauth/token",
            "client_id": "cid",
            "client_secret": "cs-X",
            "refresh_token": "rt-original",
        },
    )
    handle = runtime.open_connection(org.pk, conn.pk)
    handle.run_action("request", {"method": "GET", "path": "/records"})
    row = Connection.objects.get(pk=conn.pk)
    assert row.secrets_version == 2
    assert get_vault().decrypt(row.secrets_ciphertext)["refresh_token"] == "rt-rotated-1"
    assert "rt-rotated-1" not in row.secrets_ciphertext
    # This process already holds the new token: the cache entry stays valid (no second token fetch).
    assert runtime.open_connection(org.pk, conn.pk) is handle
    runtime.clear_cache()  # another worker process: starts from the stored, rotated token
    runtime.open_connection(org.pk, conn.pk).run_action("request", {"method": "GET", "path": "/x"})
    assert endpoint.bodies["/oauth/token"][-1] is not None
    assert get_vault().decrypt(Connection.objects.get(pk=conn.pk).secrets_ciphertext)["refresh_token"] == (
        "rt-rotated-2"
    )


def test_credential_use_is_audited_once_per_run(make_connection, org):
    conn = make_connection()
    for _ in range(3):
        runtime.open_connection(org.pk, conn.pk, run_id=101)
    runtime.clear_cache()  # another process: the database still says "already audited"
    runtime.open_connection(org.pk, conn.pk, run_id=101)
    runtime.open_connection(org.pk, conn.pk, run_id=102)
    runtime.open_connection(org.pk, conn.pk)  # no run (e.g. a preview): not a run's use
    uses = AuditEvent.objects.filter(action="connection.use", object_id=str(conn.pk))
    assert sorted(u.after["run_id"] for u in uses) == [101, 102]
    assert all(u.organisation_id == org.pk and u.actor_id is None for u in uses)
