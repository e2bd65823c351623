"""Business Central webhook subscriptions on real parts (uvicorn, a Celery worker, the sandbox over HTTP,
PostgreSQL, Redis): the connector creates a subscription pointing at a flow's webhook URL, the sandbox
performs the validation handshake against it, a change in Business Central then arrives as a notification
that starts a run with the change as its item, and renewal repeats the handshake."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials.runtime import open_connection
from flowbuilder.execution.models import Run
from flowbuilder.flows import actions as flow_actions
from tests.conftest import document, edge, node

from .conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _listening_flow(make_org: Any, make_user: Any) -> tuple[Any, Any, Any]:
    org = make_org(f"BC hooks {uuid.uuid4().hex[:6]}")
    user = make_user(f"bchooks-{uuid.uuid4().hex[:6]}", org, "admin")
    doc = document(
        [
            node("t", "trigger.webhook", {"validation_handshake": True, "client_state": "cs-e2e"}),
            node("m", "transform.map", {"fields": [{"name": "seen", "value": True}]}),
        ],
        [edge("t", "m")],
    )
    flow = flow_actions.create_flow(actor=user, organisation=org, name="BC changes", document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return org, user, flow


def test_a_subscription_handshakes_notifies_a_flow_and_renews(
    live_server_url, worker, make_org, make_user, sandbox
):
    org, user, flow = _listening_flow(make_org, make_user)
    credential_type, credentials = sandbox.credentials("dynamics")
    connection = credential_actions.create_connection(
        actor=user,
        organisation=org,
        name="Business Central sandbox",
        connector="dynamics",
        base_url=f"{sandbox.url}/dynamics",
        credential_type=credential_type,
        credentials=credentials,
        config={"company_name": "Northwind Advisory Ltd"},
    )
    bc = open_connection(org.pk, connection.pk)
    hook = f"{live_server_url}/hooks/{flow.webhook_token}/"
    sub = bc.run_action(
        "create_subscription", {"entity_set": "customers", "notification_url": hook, "client_state": "cs-e2e"}
    )
    assert sub["notificationUrl"] == hook and sub["subscriptionId"]
    assert not Run.objects.filter(flow=flow).exists()  # the handshake starts no run

    customer = bc.run_action(
        "create_record",
        {"entity_set": "customers", "fields": {"displayName": f"Hooked {uuid.uuid4().hex[:6]}"}},
    )
    run = wait_until(
        lambda: Run.objects.filter(flow=flow, status="succeeded").first(), 60, "no run from the notification"
    )
    [item] = run.input_items
    assert item["changeType"] == "created" and item["clientState"] == "cs-e2e"
    assert item["resource"].endswith(f"/customers({customer['id']})")
    assert run.output_items[0]["seen"] is True

    renewed = bc.run_action("update_subscription", {"subscription_id": sub["subscriptionId"]})
    assert renewed["expirationDateTime"] > sub["expirationDateTime"]
    assert bc.run_action("delete_subscription", {"subscription_id": sub["subscriptionId"]})["deleted"] is True
