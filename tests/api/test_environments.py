"""Environments: promotion binds each environment's connections by slot; triggers fire only where the
version is released, each environment with its own connections, trigger rows and webhook URL; prod can
require a successful test run; orgs without environments keep one live version."""

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


def _webhook_doc(connection_id) -> dict:
    return document(
        [
            node("hook", "trigger.webhook", {"delivery_id_header": "X-Event-Id"}),
            node(
                "call",
                "http.request",
                {"method": "GET", "url": "https://crm.example/accounts", "connection": str(connection_id)},
            ),
        ],
        [edge("hook", "call")],
    )


def _hook(flow, environment: str = "", event: str = "evt-1"):
    from django.test import Client

    path = f"/hooks/{flow.webhook_token}/" + (f"{environment}/" if environment else "")
    return Client().post(path, {"n": 1}, content_type="application/json", HTTP_X_EVENT_ID=event)


def _states(flow) -> dict[str, PollingState]:
    return {s.environment: s for s in PollingState.objects.filter(flow=flow, node_id="tick")}


def test_triggers_fire_only_where_released_with_that_environments_connection(client_as, env_world):
    from flowbuilder.triggers import actions as trigger_actions

    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    test = _promote(builder, w.flow, "test").json()
    # Released in dev and test: one schedule row each, none for prod (nothing published there).
    assert set(_states(w.flow)) == {"dev", "test"}
    outcome = trigger_actions.poll_trigger(_states(w.flow)["test"].pk)
    assert outcome.status == "run"
    run = Run.objects.get(pk=outcome.run_id)
    assert run.version_id == test["id"] and run.version.environment == "test"
    assert _bound(run.version_id) == str(w.conns["test"].pk)
    test_cursor = _states(w.flow)["test"].cursor
    assert test_cursor and _states(w.flow)["dev"].cursor is None  # cursors are per environment

    prod = _promote(builder, w.flow, "prod").json()
    states = _states(w.flow)
    assert set(states) == {"dev", "test", "prod"}
    assert states["test"].cursor == test_cursor  # prod's publish does not touch test's trigger
    fired = trigger_actions.poll_trigger(states["prod"].pk)
    prod_run = Run.objects.get(pk=fired.run_id)
    assert prod_run.version_id == prod["id"] and _bound(prod_run.version_id) == str(w.conns["prod"].pk)
    assert _states(w.flow)["test"].cursor == test_cursor  # and prod polling never moves test's cursor


def test_promoting_again_replaces_the_environments_triggers(client_as, env_world):
    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    before = _states(w.flow)["dev"]
    draft = _doc(w.conns["dev"].pk)
    draft["nodes"][0]["config"] = {"mode": "interval", "interval_s": 120}
    Flow.objects.filter(pk=w.flow.pk).update(draft_document=draft)
    _promote(builder, w.flow, "dev")
    after = _states(w.flow)["dev"]
    assert after.pk == before.pk and after.interval_s == 120
    assert PollingState.objects.filter(flow=w.flow).count() == 1


def test_withdrawing_a_release_stops_its_triggers(client_as, env_world):
    from flowbuilder.triggers import actions as trigger_actions

    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    _promote(builder, w.flow, "test")
    state = _states(w.flow)["test"]
    response = builder.delete(f"/api/flows/{w.flow.pk}/releases/test/")
    assert response.status_code == 204
    assert set(_states(w.flow)) == {"dev"}
    assert trigger_actions.poll_trigger(state.pk).status == "disabled"
    assert not Release.objects.filter(flow=w.flow, environment="test").exists()
    refused = builder.delete(f"/api/flows/{w.flow.pk}/releases/prod/")
    assert refused.status_code == 400 and "environment" in refused.json()["errors"]
    again = builder.delete(f"/api/flows/{w.flow.pk}/releases/test/")
    assert again.status_code == 400 and "environment" in again.json()["errors"]
    assert client_as("viewer").delete(f"/api/flows/{w.flow.pk}/releases/dev/").status_code == 403


def test_turning_environments_off_stops_dev_and_test_triggers(client_as, env_world):
    from flowbuilder.triggers import actions as trigger_actions

    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    w.a.environments_enabled = False
    w.a.save()
    assert trigger_actions.poll_trigger(_states(w.flow)["dev"].pk).status == "disabled"
    assert not Run.objects.filter(flow=w.flow).exists()


def test_webhooks_listen_per_environment(client_as, env_world):
    w, builder = env_world, client_as("builder")
    Flow.objects.filter(pk=w.flow.pk).update(draft_document=_webhook_doc(w.conns["dev"].pk))
    assert _hook(w.flow, "dev").status_code == 404  # nothing released in dev yet
    _promote(builder, w.flow, "dev")
    test_missing = _hook(w.flow, "test")
    assert test_missing.status_code == 404
    test = _promote(builder, w.flow, "test").json()
    answer = _hook(w.flow, "test")
    assert answer.status_code == 202
    run = Run.objects.get(pk=answer.json()["run_id"])
    assert run.version_id == test["id"] and _bound(run.version_id) == str(w.conns["test"].pk)
    assert _hook(w.flow, "").status_code == 404  # prod: nothing published
    prod = _promote(builder, w.flow, "prod").json()
    # The same delivery id in prod is a new delivery there (ids are remembered per environment).
    prod_answer = _hook(w.flow, "")
    assert prod_answer.status_code == 202 and "X-Flowbuilder-Duplicate" not in prod_answer.headers
    assert Run.objects.get(pk=prod_answer.json()["run_id"]).version_id == prod["id"]
    repeat = _hook(w.flow, "test")
    assert repeat.headers.get("X-Flowbuilder-Duplicate") == "1" and repeat.json()["run_id"] == run.pk
    assert _hook(w.flow, "staging").status_code == 404
    urls = {
        r["environment"]: r["webhook_url"]
        for r in builder.get(f"/api/flows/{w.flow.pk}/environments/").json()["releases"]
    }
    assert urls["test"].endswith(f"/hooks/{w.flow.webhook_token}/test/")
    assert urls["prod"].endswith(f"/hooks/{w.flow.webhook_token}/")


def test_runs_show_their_environment(client_as, env_world):
    from flowbuilder.triggers import actions as trigger_actions

    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    run_id = trigger_actions.poll_trigger(_states(w.flow)["dev"].pk).run_id
    listed = {r["id"]: r for r in builder.get(f"/api/runs/?flow={w.flow.pk}").json()["results"]}
    assert listed[run_id]["version"]["environment"] == "dev"
    assert builder.get(f"/api/runs/{run_id}/").json()["version"]["environment"] == "dev"


def test_runs_filter_by_environment(client_as, env_world):
    from flowbuilder.triggers import actions as trigger_actions

    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    _promote(builder, w.flow, "test")
    states = _states(w.flow)
    dev_run = trigger_actions.poll_trigger(states["dev"].pk).run_id
    test_run = trigger_actions.poll_trigger(states["test"].pk).run_id

    def ids(environment: str) -> set[int]:
        response = builder.get(f"/api/runs/?flow={w.flow.pk}&environment={environment}")
        return {r["id"] for r in response.json()["results"]}

    assert (ids("dev"), ids("test"), ids("prod")) == ({dev_run}, {test_run}, set())
    bad = builder.get(f"/api/runs/?flow={w.flow.pk}&environment=staging")
    assert bad.status_code == 400 and "environment" in bad.json()["errors"]


def test_without_environments_triggers_are_unchanged(client_as, world):
    flow = world.make_flow(world.a, published=True, doc=_webhook_doc(""))
    assert _hook(flow, "").status_code == 202
    assert _hook(flow, "test").status_code == 404  # no environment URLs without environments
    sched = world.make_flow(world.a, published=True, doc=_doc(""))
    assert [(s.environment, s.node_id) for s in PollingState.objects.filter(flow=sched)] == [("prod", "tick")]
    run = Run.objects.filter(flow=flow).get()
    assert client_as("viewer").get(f"/api/runs/{run.pk}/").json()["version"]["environment"] == ""


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


def test_operators_see_each_triggers_environment(client_as, env_world):
    w, builder = env_world, client_as("builder")
    _promote(builder, w.flow, "dev")
    _promote(builder, w.flow, "test")
    listed = client_as("operator").get("/api/triggers/", {"organisation": w.a.pk}).json()["results"]
    assert sorted(t["environment"] for t in listed if t["flow"] == w.flow.pk) == ["dev", "test"]
