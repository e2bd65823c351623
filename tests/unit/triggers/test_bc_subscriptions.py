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


def _read(sandbox, sid: str) -> dict:
    return sandbox.http.get(
        f"{sandbox.url}{API}/subscriptions('{sid}')", headers=sandbox.auth("dynamics")
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
