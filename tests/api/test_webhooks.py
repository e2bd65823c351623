"""POST /hooks/<token>/: unknown token and unpublished flow 404; signatures 401 unless right; 202 queued."""

from __future__ import annotations

import json

from asgiref.sync import async_to_sync
from django.test import Client

from flowbuilder.execution import waiters
from flowbuilder.execution.actions import start_run
from flowbuilder.execution.models import Run
from flowbuilder.triggers import webhook_calls
from flowbuilder.triggers.webhooks import signature_for
from tests.support.documents import webhook_document


def hook_url(flow) -> str:
    return f"/hooks/{flow.webhook_token}/"


def post(flow_or_token, body: dict | None = None, **headers):
    url = hook_url(flow_or_token) if not isinstance(flow_or_token, str) else f"/hooks/{flow_or_token}/"
    raw = json.dumps(body if body is not None else {"n": 1})
    return Client().post(url, raw, content_type="application/json", **headers)


def test_wrong_token_is_404(world):
    world.make_flow(world.a, published=True, doc=webhook_document())
    assert post("not-a-token").status_code == 404
    assert post("").status_code == 404


def test_unpublished_flow_is_404(world):
    flow = world.make_flow(world.a, doc=webhook_document())
    response = post(flow)
    assert response.status_code == 404
    assert not Run.objects.filter(flow=flow).exists()


def test_accepted_run_is_202_and_queued(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document())
    response = post(flow, {"n": 7})
    assert response.status_code == 202
    run = Run.objects.get(pk=response.json()["run_id"])
    assert (run.flow_id, run.status, run.origin) == (flow.pk, "queued", "webhook")
    assert run.input_items == [{"n": 7}]


def test_signature_required(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document(require_signature=True))
    body = {"n": 1}
    raw = json.dumps(body).encode()
    assert post(flow, body).status_code == 401
    assert post(flow, body, HTTP_X_FLOWBUILDER_SIGNATURE="sha256=deadbeef").status_code == 401
    assert (
        post(flow, body, HTTP_X_FLOWBUILDER_SIGNATURE=signature_for("wrong secret", raw)).status_code == 401
    )
    assert not Run.objects.filter(flow=flow).exists()
    good = post(flow, body, HTTP_X_FLOWBUILDER_SIGNATURE=signature_for(flow.webhook_secret, raw))
    assert good.status_code == 202
    assert Run.objects.filter(flow=flow).count() == 1


def test_custom_signature_header(world):
    flow = world.make_flow(
        world.a, published=True, doc=webhook_document(require_signature=True, signature_header="X-Sig")
    )
    raw = json.dumps({"n": 1}).encode()
    sig = signature_for(flow.webhook_secret, raw)
    assert post(flow, {"n": 1}, HTTP_X_FLOWBUILDER_SIGNATURE=sig).status_code == 401
    assert post(flow, {"n": 1}, HTTP_X_SIG=sig).status_code == 202


def test_bad_bodies_are_400_never_500(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document())
    for raw in ("{not json", "[1, 2]", '"text"', "123", "[{}, 5]"):
        response = Client().post(hook_url(flow), raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert "body" in response.json()["errors"] or "input" in response.json()["errors"], raw


def test_webhook_token_is_not_an_api_id(world, client_as):
    """Another tenant's webhook URL starts its flow (a secret URL's purpose) but reveals nothing."""
    flow = world.make_flow(world.b, published=True, doc=webhook_document())
    response = post(flow)
    assert response.status_code == 202
    assert set(response.json()) == {"run_id", "status", "status_url"}
    assert client_as("admin").get(response.json()["status_url"]).status_code == 404


def test_waiting_caller_gets_202_with_status_url_when_the_run_takes_too_long(world, settings):
    """No worker runs here (nothing commits): the caller waits its time, then is told where to look."""
    settings.FLOWBUILDER_WEBHOOK_WAIT_S = 0.3
    flow = world.make_flow(world.a, published=True, doc=webhook_document(response_mode="last_node"))
    response = post(flow, {"n": 2})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "running" and body["status_url"] == f"/api/runs/{body['run_id']}/"
    assert Run.objects.get(pk=body["run_id"]).options["waiter"]


def test_a_lost_result_message_is_read_from_the_database(world):
    """The engine's message never arrives: the caller finds the finished run itself."""
    flow = world.make_flow(world.a, published=True, doc=webhook_document(response_mode="last_node"))
    run = start_run(actor=None, flow=flow, input_items=[{"n": 3}])
    Run.objects.filter(pk=run.pk).update(status="succeeded", output_items=[{"n": 3, "done": True}])

    async def wait_without_message():
        hub = waiters.hub()
        return await webhook_calls._wait(hub, hub.register(), run.pk, check_every=0.05)

    status, body, headers = async_to_sync(wait_without_message)()
    assert (status, body) == (200, {"n": 3, "done": True})
    assert headers["X-Flowbuilder-Run"] == str(run.pk)
