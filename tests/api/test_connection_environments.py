"""The connection's environment through the API: chosen on create, changed on update, validated (a 400
naming ``environment``), filtered on in the list, and one name per environment (a slot that promotion
binds by name)."""

from __future__ import annotations

import pytest

from flowbuilder.audit.models import AuditEvent

from .test_connections import payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_runtime_cache")]


@pytest.fixture
def client(api, admin):
    return api(admin)


@pytest.mark.parametrize("bad", ["staging", "", None, 3, ["dev"]])
def test_an_unknown_environment_is_a_400_naming_the_field(client, org, bad):
    response = client.post("/api/connections/", payload(org, environment=bad), format="json")
    assert response.status_code == 400, response.content
    assert "environment" in response.json()["errors"]


def test_environment_defaults_to_dev_and_filters_the_list(client, org):
    body = payload(org)
    del body["environment"]
    dev = client.post("/api/connections/", body, format="json").json()
    test = client.post("/api/connections/", payload(org, environment="test"), format="json").json()
    assert (dev["environment"], test["environment"]) == ("dev", "test")
    assert dev["name"] == test["name"]  # the same slot in two environments
    only_test = client.get("/api/connections/", {"environment": "test"}).json()["results"]
    assert [c["id"] for c in only_test] == [test["id"]]
    bad_filter = client.get("/api/connections/", {"environment": "staging"})
    assert bad_filter.status_code == 400 and "environment" in bad_filter.json()["errors"]


def test_changing_the_environment_is_validated_and_audited(client, org):
    conn = client.post("/api/connections/", payload(org, environment="dev"), format="json").json()
    moved = client.patch(f"/api/connections/{conn['id']}/", {"environment": "prod"}, format="json")
    assert moved.status_code == 200 and moved.json()["environment"] == "prod"
    update = AuditEvent.objects.filter(action="connection.update").latest("id")
    assert update.before["environment"] == "dev" and update.after["environment"] == "prod"
    bad = client.patch(f"/api/connections/{conn['id']}/", {"environment": "qa"}, format="json")
    assert bad.status_code == 400 and "environment" in bad.json()["errors"]


def test_one_name_per_environment(client, org):
    assert (
        client.post("/api/connections/", payload(org, environment="test"), format="json").status_code == 201
    )
    again = client.post("/api/connections/", payload(org, environment="test"), format="json")
    assert 400 <= again.status_code < 500
    assert "name" in again.json()["errors"] or "environment" in again.json()["errors"]
