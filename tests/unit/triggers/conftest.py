"""Fixtures for triggers: the sandbox over real HTTP (Kantata time entries to poll), a Kantata connection
made through the credentials actions, and flows published through the flows actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowbuilder.celery import app as celery_app
from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.flows import actions as flow_actions
from sandbox.config import SYSTEMS, SandboxConfig
from sandbox.runner import start_sandbox
from tests.conftest import document, edge, node

CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = SandboxConfig(rate_limits=dict.fromkeys(SYSTEMS, 0.0))
    url, stop = start_sandbox(0, tmp_path_factory.mktemp("sandbox"), reset=True, config=config)
    try:
        yield url
    finally:
        stop()


@pytest.fixture(autouse=True)
def _fresh_runtime_cache():
    runtime.clear_cache()
    yield
    runtime.clear_cache()


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def org(make_org):
    return make_org("Acme")


@pytest.fixture
def admin(org, make_user):
    return make_user("alice", org, "admin")


@pytest.fixture
def kantata(admin, org, sandbox_url):
    """A Kantata connection to the sandbox, made like a user would: Connect, then approve."""
    from flowbuilder.devtools.sandbox_auth import sandbox_credentials
    from tests.support.sandbox_auth import connect_in_sandbox

    credential_type, credentials = sandbox_credentials("kantata", sandbox_url, CLIENT)
    connection = credential_actions.create_connection(
        actor=admin,
        organisation=org,
        name="Kantata sandbox",
        connector="kantata",
        base_url=f"{sandbox_url}/kantata",
        credential_type=credential_type,
        credentials=credentials,
    )
    return connect_in_sandbox(admin, connection)


@pytest.fixture
def kantata_runtime(org, kantata):
    return runtime.open_connection(org.pk, kantata.ref)


@pytest.fixture
def workspace(kantata_runtime):
    return kantata_runtime.run_action(
        "create_workspace", {"title": "Polling workspace", "currency": "USD", "start_date": "2026-01-05"}
    )


@pytest.fixture
def polling_flow(admin, org, kantata, workspace):
    """Published: Kantata time entries trigger -> a map that tags each item."""

    def make(interval_s: int = 60, **config):
        trigger = node(
            "poll",
            "psa.kantata.record_updated",
            {
                "connection": kantata.ref,
                "collection": "time_entries",
                "workspace_id": workspace["id"],
                "interval_s": interval_s,
                **config,
            },
        )
        tag = node("tag", "transform.map", {"fields": [{"name": "seen", "value": True}]})
        flow = flow_actions.create_flow(
            actor=admin,
            organisation=org,
            name="Time entries",
            document=document([trigger, tag], [edge("poll", "tag")]),
        )
        flow_actions.publish_flow(actor=admin, flow=flow)
        flow.refresh_from_db()
        return flow

    return make
