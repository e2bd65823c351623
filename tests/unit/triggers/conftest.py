"""Fixtures for triggers: a Kantata connection to the shared sandbox (time entries to poll), made through
the credentials actions, and flows published through the flows actions. The sandbox, organisation and
admin come from tests/support/."""

from __future__ import annotations

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.devtools.sandbox_auth import sandbox_credentials
from flowbuilder.flows import actions as flow_actions
from tests.support.documents import document, edge, node
from tests.support.sandbox import CLIENT
from tests.support.sandbox_auth import connect_in_sandbox


@pytest.fixture(autouse=True)
def _fresh_runtime_cache(fresh_runtime_cache: None) -> None:
    """Every test here opens connections: none of them outlives its test."""


@pytest.fixture
def kantata(admin, org, sandbox):
    """A Kantata connection to the sandbox, made like a user would: Connect, then approve."""
    credential_type, credentials = sandbox_credentials("kantata", sandbox.url, CLIENT)
    connection = credential_actions.create_connection(
        actor=admin,
        organisation=org,
        name="Kantata sandbox",
        connector="kantata",
        base_url=f"{sandbox.url}/kantata",
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
        "create_workspace",
        {"title": "Polling workspace", "currency": "USD", "start_date": "2026-01-05", "price": 50000},
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
