"""Business Central webhook subscriptions are renewed before their documented 3-day expiry: the beat task
lists each Business Central connection's subscriptions and renews the ones that notify this installation
(PUBLIC_URL/hooks/) and expire soon; the sandbox repeats the validation handshake on renewal."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from flowbuilder.triggers import subscriptions
from flowbuilder.triggers.tasks import renew_bc_subscriptions
from tests.support.connections import sandbox_connection
from tests.support.scripted_server import ScriptedServer, Seen

API = "/dynamics/api/v2.0"


@pytest.fixture
def subscriber():
    server = ScriptedServer().start()

    def hook(seen: Seen):
        token = parse_qs(seen.path.partition("?")[2]).get("validationToken")
        return (200, {"Content-Type": "text/plain"}, token[0].encode()) if token else (202, {}, b"")

    server.routes["/hooks/bc-token/"] = hook
    server.routes["/elsewhere/"] = hook
    yield server
    server.stop()


def _subscribe(sandbox, company: str, url: str) -> dict:
    resp = sandbox.http.post(
        f"{sandbox.url}{API}/subscriptions",
        headers=sandbox.auth("dynamics"),
        json={"notificationUrl": url, "resource": f"/api/v2.0/companies({company})/customers"},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _read(sandbox, sid: str, api: str = API) -> dict:
    return sandbox.http.get(
        f"{sandbox.url}{api}/subscriptions('{sid}')", headers=sandbox.auth("dynamics")
    ).json()


def test_subscriptions_to_our_hooks_are_renewed_before_they_expire(
    db, admin, org, sandbox, subscriber, settings
):
    settings.PUBLIC_URL = subscriber.url
    sandbox_connection(sandbox, actor=admin, organisation=org, system="dynamics")
    company = sandbox.http.get(f"{sandbox.url}{API}/companies", headers=sandbox.auth("dynamics")).json()[
        "value"
    ][0]["id"]
    ours = _subscribe(sandbox, company, f"{subscriber.url}/hooks/bc-token/")
    foreign = _subscribe(sandbox, company, f"{subscriber.url}/elsewhere/")
    handshakes = len(subscriber.seen)

    quiet = subscriptions.renew_business_central_subscriptions(within=timedelta(hours=1))
    assert quiet["renewed"] == 0 and quiet["failed"] == 0  # 3 days left: nothing to do yet

    counts = subscriptions.renew_business_central_subscriptions(within=timedelta(days=4))
    assert counts["renewed"] >= 1 and counts["failed"] == 0
    renewed = _read(sandbox, ours["subscriptionId"])
    assert renewed["expirationDateTime"] > ours["expirationDateTime"]
    assert _read(sandbox, foreign["subscriptionId"])["expirationDateTime"] == foreign["expirationDateTime"]
    again = [s for s in subscriber.seen[handshakes:] if "validationToken=" in s.path]
    assert again and all(s.path.startswith("/hooks/bc-token/") for s in again)  # renewal = handshake


def test_the_beat_task_is_scheduled_and_runs(db, settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["renew-bc-subscriptions"]["task"] == "triggers.renew_bc_subscriptions"
    )
    assert renew_bc_subscriptions() == {"connections": 0, "renewed": 0, "failed": 0}


CUSTOM = "northwind/billing/v1.0"


def test_a_custom_pages_subscription_is_renewed_while_a_live_flow_uses_its_route(
    db, admin, org, sandbox, subscriber, settings
):
    from flowbuilder.flows import actions as flow_actions
    from tests.support.documents import document, edge, node

    settings.PUBLIC_URL = subscriber.url
    conn = sandbox_connection(sandbox, actor=admin, organisation=org, system="dynamics")
    custom_api = f"/dynamics/api/{CUSTOM}"
    company = sandbox.http.get(f"{sandbox.url}{API}/companies", headers=sandbox.auth("dynamics")).json()[
        "value"
    ][0]["id"]
    resp = sandbox.http.post(
        f"{sandbox.url}{custom_api}/subscriptions",
        headers=sandbox.auth("dynamics"),
        json={
            "notificationUrl": f"{subscriber.url}/hooks/bc-token/",
            "resource": f"/api/{CUSTOM}/companies({company})/billingSchedules",
        },
    )
    assert resp.status_code == 201, resp.text
    sub = resp.json()
    assert subscriptions.routes_in_use(conn) == ["v2.0"]  # no flow uses the page yet: not listed there
    subscriptions.renew_business_central_subscriptions(within=timedelta(days=4))
    assert (
        _read(sandbox, sub["subscriptionId"], custom_api)["expirationDateTime"] == sub["expirationDateTime"]
    )

    config = {
        "connection": str(conn.pk),
        "entity_set": "customers",
        "api_route": CUSTOM,
        "custom_entity_set": "x",
    }
    doc = document(
        [node("t", "trigger.manual"), node("r", "erp.dynamics.list_records", config)], [edge("t", "r")]
    )
    flow = flow_actions.create_flow(actor=admin, organisation=org, name="Billing schedules", document=doc)
    flow_actions.publish_flow(actor=admin, flow=flow)
    assert subscriptions.routes_in_use(conn) == [CUSTOM, "v2.0"]
    counts = subscriptions.renew_business_central_subscriptions(within=timedelta(days=4))
    assert counts["failed"] == 0
    assert _read(sandbox, sub["subscriptionId"], custom_api)["expirationDateTime"] > sub["expirationDateTime"]
