"""Environments on real parts (uvicorn, the lean webhook route, Celery worker and beat, PostgreSQL, Redis; the
outside world a local HTTP endpoint): a release fires its own triggers with its own connection. A webhook
to the test URL runs the test release against the test connection, the withdrawn dev URL and the
unpublished prod URL answer 404, and prod, once published, fires with the prod connection; a schedule
fires only in the environment released, never in dev after it was withdrawn."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.utils import timezone

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.execution.models import Run
from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows import environments
from flowbuilder.triggers.models import PollingState
from tests.support.documents import document, edge, node
from tests.support.http_endpoint import Endpoint
from tests.support.live_stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def subprocess_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """Beat looks for due triggers every second."""
    return {**subprocess_env, "FLOWBUILDER_POLL_TICK_S": "1"}


def _env_org(make_org: Any, make_user: Any, endpoint: Endpoint) -> tuple[Any, Any, dict[str, Any]]:
    org = make_org("Environments")
    org.environments_enabled = True
    org.save()
    admin = make_user("envadmin", org, "admin")
    conns = {
        env: credential_actions.create_connection(
            actor=admin,
            organisation=org,
            name="CRM",
            connector="http",
            base_url=f"{endpoint.url}/",
            credential_type="bearer",
            credentials={"token": f"tok-{env}"},
            environment=env,
        )
        for env in ("dev", "test", "prod")
    }
    return org, admin, conns


def _call(connection_id: int, url: str) -> dict:
    return node("call", "http.request", {"method": "GET", "url": url, "connection": str(connection_id)})


def _tokens(endpoint: Endpoint, path: str) -> list[str]:
    """The bearer token of each call to ``path``: which environment's connection made it."""
    return [h.get("Authorization", "") for h in endpoint.headers.get(path, [])]


def _finished(run_id: int) -> Run:
    return wait_until(
        lambda: Run.objects.filter(pk=run_id, status__in=["succeeded", "failed"]).first(),
        60,
        f"run {run_id} never finished",
    )


def test_webhooks_and_schedules_fire_per_environment_with_its_connection(
    live_server_url, worker, start_beat, make_org, make_user, endpoint
):
    org, admin, conns = _env_org(make_org, make_user, endpoint)
    hook_doc = document(
        [node("hook", "trigger.webhook", {}), _call(conns["dev"].pk, f"{endpoint.url}/accounts")],
        [edge("hook", "call")],
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="Accounts", document=hook_doc)
    environments.promote(actor=admin, flow=flow, environment="dev")
    test_version = environments.promote(actor=admin, flow=flow, environment="test")
    environments.withdraw(actor=admin, flow=flow, environment="dev")
    base = f"{live_server_url}/hooks/{flow.webhook_token}/"

    answer = requests.post(base + "test/", json={"n": 1}, timeout=30)
    assert answer.status_code == 202, answer.text
    run = _finished(answer.json()["run_id"])
    assert run.status == "succeeded" and run.version_id == test_version.pk
    assert _tokens(endpoint, "/accounts") == ["Bearer tok-test"]
    assert requests.post(base + "dev/", json={}, timeout=30).status_code == 404  # withdrawn
    assert requests.post(base, json={}, timeout=30).status_code == 404  # nothing in prod yet

    prod_version = environments.promote(actor=admin, flow=flow, environment="prod")
    answer = requests.post(base, json={"n": 2}, timeout=30)
    assert answer.status_code == 202, answer.text
    prod_run = _finished(answer.json()["run_id"])
    assert prod_run.status == "succeeded" and prod_run.version_id == prod_version.pk
    assert _tokens(endpoint, "/accounts") == ["Bearer tok-test", "Bearer tok-prod"]

    tick_doc = document(
        [
            node("tick", "trigger.schedule", {"mode": "interval", "interval_s": 3600}),
            _call(conns["dev"].pk, f"{endpoint.url}/nightly"),
        ],
        [edge("tick", "call")],
    )
    nightly = flow_actions.create_flow(actor=admin, organisation=org, name="Nightly", document=tick_doc)
    environments.promote(actor=admin, flow=nightly, environment="dev")
    environments.promote(actor=admin, flow=nightly, environment="test")
    environments.withdraw(actor=admin, flow=nightly, environment="dev")
    assert set(PollingState.objects.filter(flow=nightly).values_list("environment", flat=True)) == {"test"}
    PollingState.objects.filter(flow=nightly).update(next_poll_at=timezone.now())
    start_beat()
    scheduled = wait_until(
        lambda: Run.objects.filter(flow=nightly, status="succeeded").first(),
        60,
        "the test schedule never fired",
    )
    assert scheduled.version.environment == "test"
    assert _tokens(endpoint, "/nightly") == ["Bearer tok-test"]
    assert Run.objects.filter(flow=nightly).count() == 1
