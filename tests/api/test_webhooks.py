"""POST /hooks/<token>/: unknown token and unpublished flow 404; signatures 401 unless right; 202 queued."""

from __future__ import annotations

import json

import pytest
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


# --- exactly-once ingress: delivery ids ------------------------------------------------------------


def test_a_repeated_delivery_id_header_answers_with_the_first_run_and_starts_nothing(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document(delivery_id_header="X-Event-Id"))
    first = post(flow, {"n": 1}, HTTP_X_EVENT_ID="evt-1")
    again = post(flow, {"n": 2}, HTTP_X_EVENT_ID="evt-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()  # same shape, the first run's id and status
    assert again["X-Flowbuilder-Duplicate"] == "1" and "X-Flowbuilder-Duplicate" not in first
    other = post(flow, {"n": 3}, HTTP_X_EVENT_ID="evt-2")
    assert other.json()["run_id"] != first.json()["run_id"]
    no_id = [post(flow, {"n": 4}).json()["run_id"] for _ in range(2)]  # no id: each call is a run
    assert no_id[0] != no_id[1]
    assert Run.objects.filter(flow=flow).count() == 4
    assert Run.objects.get(pk=first.json()["run_id"]).input_items == [{"n": 1}]


def test_a_delivery_id_in_the_body_by_dotted_path_or_json_pointer(world):
    for path in ("event.id", "/event/id"):
        flow = world.make_flow(world.a, published=True, doc=webhook_document(delivery_id_path=path))
        ids = {post(flow, {"event": {"id": "e-7"}, "n": n}).json()["run_id"] for n in range(3)}
        assert len(ids) == 1 and Run.objects.filter(flow=flow).count() == 1, path


def test_a_delivery_id_counts_again_once_its_window_is_over(world):
    from datetime import timedelta

    from django.utils import timezone

    from flowbuilder.triggers.models import WebhookDelivery

    flow = world.make_flow(
        world.a,
        published=True,
        doc=webhook_document(delivery_id_header="X-Event-Id", delivery_window_s=3600),
    )
    first = post(flow, HTTP_X_EVENT_ID="evt-1").json()["run_id"]
    delivery = WebhookDelivery.objects.get(flow=flow, key="evt-1")
    assert delivery.run_id == first and delivery.expires_at - delivery.received_at == timedelta(hours=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    later = post(flow, HTTP_X_EVENT_ID="evt-1").json()["run_id"]
    assert later != first and WebhookDelivery.objects.get(flow=flow, key="evt-1").run_id == later


def test_a_waiting_repeat_gets_the_first_runs_result(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document(delivery_id_header="X-Event-Id"))
    first = post(flow, {"n": 5}, HTTP_X_EVENT_ID="evt-1").json()["run_id"]
    Run.objects.filter(pk=first).update(status="succeeded", output_items=[{"n": 6}])
    response = Client().post(
        hook_url(flow) + "?wait=1",
        json.dumps({"n": 9}),
        content_type="application/json",
        HTTP_X_EVENT_ID="evt-1",
    )
    assert response.status_code == 200 and response.json() == {"n": 6}
    assert response["X-Flowbuilder-Run"] == str(first) and response["X-Flowbuilder-Duplicate"] == "1"
    assert Run.objects.filter(flow=flow).count() == 1


# --- bad input never 500s, on both adapters -----------------------------------------------------------


DEEP = "[" * 100_000 + "]" * 100_000
UNSTORABLE = [
    ('{"name": "a\\u0000b"}', "body.name"),
    ('[{"ok": 1}, {"lines": [{"x": "\\u0000"}]}]', "body.1.lines.0.x"),
    ('{"a\\u0000": 1}', "body"),
    (DEEP, "body"),
    ('{"a": ' * 150 + "1" + "}" * 150, "body"),
    ('{"n": NaN}', "body"),
]


def _asgi_post(token: str, raw: bytes, content_type: bytes = b"application/json", query: bytes = b""):
    """POST through the lean ASGI route, as uvicorn would call it."""
    from flowbuilder.api.webhook_asgi import webhook_app

    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/hooks/{token}/",
        "query_string": query,
        "headers": [(b"content-type", content_type)],
    }
    async_to_sync(webhook_app)(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


@pytest.mark.parametrize(("raw", "field"), UNSTORABLE, ids=range(len(UNSTORABLE)))
def test_unstorable_json_is_400_naming_the_field_on_both_adapters(world, raw, field):
    flow = world.make_flow(world.a, published=True, doc=webhook_document())
    response = Client().post(hook_url(flow), raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"] and response.json()["detail"]
    status, body = _asgi_post(flow.webhook_token, raw.encode())
    assert status == 400 and field in body["errors"], body
    assert not Run.objects.filter(flow=flow).exists()


def test_nul_in_a_text_body_or_the_query_is_400(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document())
    status, body = _asgi_post(flow.webhook_token, b"a\x00b", content_type=b"text/plain")
    assert status == 400 and "body" in body["errors"]
    status, body = _asgi_post(flow.webhook_token, b"", query=b"x=%00")
    assert status == 400 and "query.x" in body["errors"]
    assert not Run.objects.filter(flow=flow).exists()
    assert _asgi_post(flow.webhook_token, b'{"fine": "\\\\u0000 is text here"}')[0] == 202


def test_business_central_validation_handshake_is_echoed_as_text_on_both_adapters(world):
    """Business Central creates (and renews) a subscription only when the URL echoes ?validationToken=
    with 200 as plain text; no run starts for the handshake."""
    flow = world.make_flow(world.a, published=True, doc=webhook_document(validation_handshake=True))
    response = Client().post(f"{hook_url(flow)}?validationToken=abc-123_XYZ", b"", content_type="")
    assert response.status_code == 200 and response.content == b"abc-123_XYZ"
    assert response["Content-Type"].startswith("text/plain")
    from flowbuilder.api.webhook_asgi import webhook_app

    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/hooks/{flow.webhook_token}/",
        "query_string": b"validationToken=tok.456",
        "headers": [],
    }
    async_to_sync(webhook_app)(scope, receive, send)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"tok.456"
    assert (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]
    assert not Run.objects.filter(flow=flow).exists()
    bad = Client().post(f"{hook_url(flow)}?validationToken=%3Cscript%3E", b"", content_type="")
    assert bad.status_code == 400 and "validationToken" in bad.json()["errors"]


def test_without_the_handshake_option_a_validation_token_is_just_input(world):
    flow = world.make_flow(world.a, published=True, doc=webhook_document())
    response = Client().post(f"{hook_url(flow)}?validationToken=abc", b"", content_type="")
    assert response.status_code == 202
    assert Run.objects.get(flow=flow).input_items == [{"validationToken": "abc"}]


def test_business_central_notifications_become_one_item_per_change_with_the_client_state(world):
    doc = webhook_document(validation_handshake=True, client_state="s3cret")
    flow = world.make_flow(world.a, published=True, doc=doc)
    change = {
        "subscriptionId": "c670ea73cacb459bb51dc1740da2f1db",
        "clientState": "s3cret",
        "expirationDateTime": "2026-12-09T12:00:00Z",
        "resource": "/api/v2.0/companies(8b1a1ac6-fb67-430a-bebb-c8da15c14060)/customers(4b16)",
        "changeType": "updated",
        "lastModifiedDateTime": "2026-12-06T12:00:00Z",
    }
    response = post(flow, {"value": [change, {**change, "changeType": "created"}]})
    assert response.status_code == 202
    run = Run.objects.get(pk=response.json()["run_id"])
    assert [i["changeType"] for i in run.input_items] == ["updated", "created"]
    forged = post(flow, {"value": [{**change, "clientState": "guess"}]})
    assert forged.status_code == 401
    assert Run.objects.filter(flow=flow).count() == 1
