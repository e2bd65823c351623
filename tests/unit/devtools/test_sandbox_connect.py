"""The demo's sandbox connections use each system's documented flow; the ones that need a person's
consent (Kantata, NetSuite by authorization code) are connected through the product's Connect with the
click on the sandbox's consent page done by ``connect_sandbox_connections``, and then test green."""

from __future__ import annotations

import pytest

from flowbuilder.credentials import actions
from flowbuilder.credentials.models import AuthState
from flowbuilder.devtools.demo import connect_sandbox_connections, sandbox_connection
from flowbuilder.devtools.sandbox_auth import sandbox_connection_spec

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_runtime_cache")]


def test_connections_per_tenant_name_the_documented_flows():
    kinds = {
        system: sandbox_connection_spec(system, "http://127.0.0.1:8100", tenant="acme")
        for system in ("salesforce", "kantata", "netsuite", "dynamics")
    }
    assert {s: k.credential_type for s, k in kinds.items()} == {
        "salesforce": "oauth2_client_credentials",
        "kantata": "kantata_oauth",
        "netsuite": "netsuite_authorization_code",
        "dynamics": "entra_client_credentials",
    }
    assert kinds["netsuite"].base_url == "http://127.0.0.1:8100/netsuite/ACME"
    assert kinds["dynamics"].credentials["tenant_id"] == "acme.onmicrosoft.com"
    assert kinds["salesforce"].credentials["client_id"] == "acme-client"


def test_waiting_connections_are_connected_through_the_consent_pages(sandbox, admin, org):
    made = {
        system: sandbox_connection(actor=admin, organisation=org, system=system, sandbox_url=sandbox.url)
        for system in ("kantata", "netsuite", "salesforce")
    }
    assert made["kantata"].auth_state == made["netsuite"].auth_state == AuthState.NOT_CONNECTED
    assert made["salesforce"].auth_state == AuthState.OK
    done = connect_sandbox_connections(sandbox.url, "http://127.0.0.1:8000/oauth/callback/")
    assert sorted(c.connector for c in done) == ["kantata", "netsuite"]
    for system in ("kantata", "netsuite"):
        connection = made[system]
        connection.refresh_from_db()
        assert connection.auth_state == AuthState.CONNECTED, system
        result = actions.test_connection(actor=admin, connection=connection)
        assert result.ok, (system, result.message)
    netsuite = made["netsuite"]
    assert netsuite.credential_expires_at is not None  # NetSuite's refresh tokens lapse (7 days)
    assert connect_sandbox_connections(sandbox.url, "http://127.0.0.1:8000/oauth/callback/") == []


def test_no_pending_rows_when_the_sandbox_is_not_running(admin, org):
    sandbox_connection(actor=admin, organisation=org, system="kantata", sandbox_url="http://127.0.0.1:9")
    with pytest.raises(RuntimeError, match="does not answer"):
        connect_sandbox_connections("http://127.0.0.1:9", "http://127.0.0.1:8000/oauth/callback/")
    from flowbuilder.credentials.models import PendingAuthorization

    assert not PendingAuthorization.objects.exists()
