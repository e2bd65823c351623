"""Environments: promotion binds each environment's connections by slot; triggers fire only where the
version is published (prod); prod can require a successful test run; orgs without environments keep
one live version."""

from __future__ import annotations

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.execution.models import Run, RunStatus
from flowbuilder.flows.models import Flow, Release
from flowbuilder.triggers.models import PollingState
from tests.support.documents import document, edge, node

pytestmark = pytest.mark.django_db


def _connection(world, name, environment):
    return credential_actions.create_connection(
        actor=world.users["admin"],
        organisation=world.a,
        name=name,
        connector="http",
        base_url=f"https://{environment}.crm.example/",
        credential_type="bearer",
        credentials={"token": f"tok-{environment}"},
        environment=environment,
    )


def _doc(connection_id) -> dict:
    return document(
        [
            {**node("tick", "trigger.schedule", {"mode": "interval", "interval_s": 60}), "label": "Nightly"},
            node(
                "call",
                "http.request",
                {"method": "GET", "url": "https://crm.example/accounts", "connection": str(connection_id)},
            ),
        ],
        [edge("tick", "call")],
    )


@pytest.fixture
def env_world(world):
    world.a.environments_enabled = True
    world.a.environment_names = {"dev": "Sandbox"}
    world.a.save()
    world.conns = {env: _connection(world, "CRM", env) for env in ("dev", "test", "prod")}
    world.flow = world.make_flow(world.a, name="Accounts", doc=_doc(world.conns["dev"].pk))
    return world


def _promote(client, flow, environment):
    return client.post(f"/api/flows/{flow.pk}/promote/", {"environment": environment}, format="json")


def _bound(version_id) -> str:
    from flowbuilder.flows.models import FlowVersion

    doc = FlowVersion.objects.get(pk=version_id).document
    return next(n for n in doc["nodes"] if n["id"] == "call")["config"]["connection"]


def test_promotion_binds_each_environments_connection_by_slot(client_as, env_world):
    w, builder = env_world, client_as("builder")
    dev = _promote(builder, w.flow, "dev").json()
    assert _bound(dev["id"]) == str(w.conns["dev"].pk)
    test = _promote(builder, w.flow, "test").json()
    assert _bound(test["id"]) == str(w.conns["test"].pk)
    prod = _promote(builder, w.flow, "prod").json()
    assert prod["state"] == "published"
    assert _bound(prod["id"]) == str(w.conns["prod"].pk)
    envs = builder.get(f"/api/flows/{w.flow.pk}/environments/").json()
    assert envs["enabled"] is True
    assert [(r["environment"], r["name"], r["version"]) for r in envs["releases"]] == [
        ("dev", "Sandbox", dev["id"]),
        ("test", "Test", test["id"]),
        ("prod", "Production", prod["id"]),
    ]
    assert Flow.objects.get(pk=w.flow.pk).published_version_id == prod["id"]


def test_triggers_fire_only_where_published(client_as, env_world):
    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    _promote(builder, w.flow, "test")
    # Released in dev and test only: no trigger rows, so the schedule never starts a run.
    assert not PollingState.objects.filter(flow=w.flow).exists()
    _promote(builder, w.flow, "prod")
    assert PollingState.objects.filter(flow=w.flow, node_id="tick").count() == 1


def test_promotion_needs_the_slot_in_the_target_environment(client_as, env_world):
    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    credential_actions.delete_connection(actor=w.users["admin"], connection=w.conns["test"])
    response = _promote(builder, w.flow, "test")
    assert response.status_code == 400
    assert "CRM" in response.json()["detail"] and "environment" in response.json()["errors"]


def test_order_is_enforced(client_as, env_world):
    response = _promote(client_as("builder"), env_world.flow, "prod")
    assert response.status_code == 400 and "promote there first" in response.json()["detail"]


def test_prod_can_require_a_successful_test_run(client_as, env_world):
    w, builder = env_world, client_as("builder")
    w.a.prod_requires_test_run = True
    w.a.save()
    _promote(builder, w.flow, "dev")
    test = _promote(builder, w.flow, "test").json()
    refused = _promote(builder, w.flow, "prod")
    assert refused.status_code == 400 and "successful run" in refused.json()["detail"]
    Run.objects.create(
        flow=w.flow, version_id=test["id"], organisation=w.a, status=RunStatus.SUCCEEDED, input_items=[]
    )
    assert _promote(builder, w.flow, "prod").status_code == 201


def test_prod_promotion_goes_through_review_where_required(client_as, env_world):
    w, builder = env_world, client_as("builder")
    w.a.require_publish_approval = True
    w.a.save()
    _promote(builder, w.flow, "dev")
    _promote(builder, w.flow, "test")
    prod = _promote(builder, w.flow, "prod").json()
    assert prod["state"] == "in_review"
    assert not Release.objects.filter(flow=w.flow, environment="prod").exists()
    client_as("approver").post(f"/api/reviews/{prod['id']}/approve/", {}, format="json")
    assert Release.objects.get(flow=w.flow, environment="prod").version_id == prod["id"]


def test_without_environments_one_prod_like_environment(client_as, world):
    flow = world.make_flow(world.a, published=True)
    envs = client_as("viewer").get(f"/api/flows/{flow.pk}/environments/").json()
    assert envs["enabled"] is False
    assert [(r["environment"], r["version"]) for r in envs["releases"]] == [
        ("prod", flow.published_version_id)
    ]
    response = _promote(client_as("builder"), flow, "dev")
    assert response.status_code == 400 and "environment" in response.json()["errors"]
    assert not Release.objects.exists()


def test_viewers_cannot_promote(client_as, env_world):
    assert _promote(client_as("viewer"), env_world.flow, "dev").status_code == 403
