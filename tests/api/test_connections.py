"""/api/connections/ and /api/connectors/: write-only secrets, tenant isolation, testing a connection."""

from __future__ import annotations

import json

import pytest

from flowbuilder.audit.models import AuditEvent
from flowbuilder.credentials.models import Connection
from flowbuilder.credentials.vault import get_vault

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_runtime_cache")]

SECRET = "tok-API-CANARY-7f3a"


@pytest.fixture
def client(api, admin):
    return api(admin)


def payload(org, **extra):
    return {
        "organisation": org.pk,
        "name": "Billing API",
        "environment": "prod",
        "connector": "http",
        "base_url": "https://billing.example.com/v1",
        "config": {"health_path": "/ping"},
        "credential_type": "bearer",
        "credentials": {"token": SECRET},
        **extra,
    }


def test_create_list_detail_never_return_secrets(client, org):
    created = client.post("/api/connections/", payload(org), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secrets_set"] == ["token"] and body["credentials"] == {}
    assert body["ref"] == f"conn_{body['id']}" and body["config"] == {"health_path": "/ping"}
    listed = client.get("/api/connections/")
    detail = client.get(f"/api/connections/{body['id']}/")
    for response in (created, listed, detail):
        assert SECRET not in response.content.decode()
    assert listed.json()["results"][0]["id"] == body["id"]
    audit = AuditEvent.objects.filter(action="connection.create").get()
    assert SECRET not in json.dumps([audit.before, audit.after])
    assert audit.after["secrets_set"] == ["token"]


def test_update_keeps_omitted_secrets_and_replaces_sent_ones(client, org):
    conn_id = client.post("/api/connections/", payload(org), format="json").json()["id"]
    renamed = client.patch(f"/api/connections/{conn_id}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    row = Connection.objects.get(pk=conn_id)
    assert get_vault().decrypt(row.secrets_ciphertext) == {"token": SECRET} and row.secrets_version == 1

    new_secret = "tok-API-CANARY-rotated"
    changed = client.patch(
        f"/api/connections/{conn_id}/", {"credentials": {"token": new_secret}}, format="json"
    )
    assert changed.status_code == 200 and new_secret not in changed.content.decode()
    row.refresh_from_db()
    assert get_vault().decrypt(row.secrets_ciphertext) == {"token": new_secret} and row.secrets_version == 2
    audits = AuditEvent.objects.filter(action="connection.update")
    assert audits.count() == 2
    dumped = json.dumps([[a.before, a.after] for a in audits])
    assert SECRET not in dumped and new_secret not in dumped
    assert audits.last().after["secrets_changed"] is True


def test_switching_credential_type_requires_the_new_type_fields(client, org):
    conn_id = client.post("/api/connections/", payload(org), format="json").json()["id"]
    missing = client.patch(f"/api/connections/{conn_id}/", {"credential_type": "basic"}, format="json")
    assert missing.status_code == 400 and "username" in missing.json()["detail"]
    ok = client.patch(
        f"/api/connections/{conn_id}/",
        {"credential_type": "basic", "credentials": {"username": "svc", "password": "pw-CANARY"}},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["credentials"] == {"username": "svc"} and ok.json()["secrets_set"] == ["password"]


def test_invalid_input_is_a_400_naming_the_field_not_the_value(client, org):
    missing = client.post("/api/connections/", payload(org, credentials={}), format="json")
    assert missing.status_code == 400 and "token" in missing.json()["detail"]
    short = client.post(
        "/api/connections/",
        payload(org, credential_type="api_key", credentials={"api_key": SECRET, "location": "nowhere"}),
        format="json",
    )
    assert short.status_code == 400 and SECRET not in short.content.decode()
    unknown = client.post("/api/connections/", payload(org, connector="nope"), format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"] == {
        "connector": [unknown.json()["detail"]]
    }
    bad_url = client.post("/api/connections/", payload(org, base_url="file:///etc/passwd"), format="json")
    assert bad_url.status_code == 400
    client.post("/api/connections/", payload(org), format="json")
    duplicate = client.post("/api/connections/", payload(org), format="json")
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["detail"]


def test_connections_are_invisible_to_other_organisations(api, client, org, make_org, make_user):
    conn_id = client.post("/api/connections/", payload(org), format="json").json()["id"]
    other_org = make_org("Globex")
    mallory = api(make_user("mallory", other_org, "admin"))
    assert mallory.get("/api/connections/").json()["results"] == []
    assert mallory.get(f"/api/connections/{conn_id}/").status_code == 404
    assert mallory.patch(f"/api/connections/{conn_id}/", {"name": "x"}, format="json").status_code == 404
    assert mallory.post(f"/api/connections/{conn_id}/test/").status_code == 404
    assert mallory.delete(f"/api/connections/{conn_id}/").status_code == 404
    assert mallory.post("/api/connections/", payload(org), format="json").status_code == 404
    assert mallory.get(f"/api/connections/?organisation={org.pk}").json()["results"] == []
    assert Connection.objects.filter(pk=conn_id, name="Billing API").exists()


def test_viewers_see_connections_but_cannot_change_them(api, client, org, make_user):
    conn_id = client.post("/api/connections/", payload(org), format="json").json()["id"]
    viewer = api(make_user("vera", org, "viewer"))
    assert viewer.get(f"/api/connections/{conn_id}/").status_code == 200
    assert viewer.patch(f"/api/connections/{conn_id}/", {"name": "x"}, format="json").status_code == 403
    assert viewer.post(f"/api/connections/{conn_id}/test/").status_code == 403
    assert viewer.delete(f"/api/connections/{conn_id}/").status_code == 403
    assert viewer.post("/api/connections/", payload(org, name="v"), format="json").status_code == 403


def test_delete_removes_and_audits(client, org):
    conn_id = client.post("/api/connections/", payload(org), format="json").json()["id"]
    assert client.delete(f"/api/connections/{conn_id}/").status_code == 204
    assert not Connection.objects.filter(pk=conn_id).exists()
    assert AuditEvent.objects.filter(action="connection.delete", object_id=str(conn_id)).exists()


def test_test_connection_calls_the_system_with_credentials(client, org, endpoint):
    endpoint.route("/v1/ping", lambda n, body: (200, {}, {"pong": True}))
    body = payload(org, base_url=endpoint.url + "/v1")
    conn_id = client.post("/api/connections/", body, format="json").json()["id"]
    result = client.post(f"/api/connections/{conn_id}/test/")
    assert result.status_code == 200, result.json()
    assert result.json()["ok"] is True and "200" in result.json()["message"]
    assert endpoint.calls["/v1/ping"] == 1
    sent = getattr(endpoint, "headers", {}).get("/v1/ping")
    if sent is not None:  # newer Endpoint records request headers
        assert sent[0]["Authorization"] == f"Bearer {SECRET}"
    detail = client.get(f"/api/connections/{conn_id}/").json()
    assert detail["last_test_ok"] is True and detail["last_tested_at"]
    audit = AuditEvent.objects.filter(action="connection.test").get()
    assert audit.after["ok"] is True and SECRET not in json.dumps(audit.after)


def test_failed_tests_are_results_not_errors(client, org, make_org, make_user, api, endpoint):
    endpoint.route("/v1/ping", lambda n, body: (500, {}, {"error": f"echo {SECRET}"}))
    conn_id = client.post(
        "/api/connections/", payload(org, base_url=endpoint.url + "/v1"), format="json"
    ).json()["id"]
    failing = client.post(f"/api/connections/{conn_id}/test/")
    assert failing.status_code == 200 and failing.json()["ok"] is False
    assert "500" in failing.json()["message"] and SECRET not in failing.content.decode()

    strict = make_org("Strict", allow_local=False)  # the SSRF guard refuses 127.0.0.1 here
    admin2 = api(make_user("sam", strict, "admin"))
    conn2 = admin2.post(
        "/api/connections/", payload(strict, base_url=endpoint.url + "/v1"), format="json"
    ).json()["id"]
    refused = admin2.post(f"/api/connections/{conn2}/test/")
    assert refused.status_code == 200 and refused.json()["ok"] is False
    assert endpoint.calls["/v1/ping"] == 1  # never reached

    dead = client.post(
        "/api/connections/", payload(org, name="dead", base_url="http://127.0.0.1:9/v1"), format="json"
    ).json()["id"]
    unreachable = client.post(f"/api/connections/{dead}/test/")
    assert unreachable.status_code == 200 and unreachable.json()["ok"] is False


def test_connectors_registry_lists_credential_schemas_with_secret_fields(client):
    response = client.get("/api/connectors/")
    assert response.status_code == 200
    http = next(c for c in response.json() if c["key"] == "http")
    assert {"name", "category", "icon", "actions", "config_schema"} <= set(http)
    types = {t["key"]: t for t in http["credential_types"]}
    assert types["bearer"]["secret_fields"] == ["token"]
    assert types["bearer"]["schema"]["properties"]["token"]["writeOnly"] is True
    assert types["oauth2_refresh_token"]["secret_fields"] == ["client_secret", "refresh_token"]
    assert [a["key"] for a in http["actions"]] == ["request"]
