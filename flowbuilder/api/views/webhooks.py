"""POST /hooks/<token>/: start a run; with ?wait=1 (or response mode "last node") answer with its result.

Waiting does not poll: the view joins the run's Channels group before it reads the run's status, so the
terminal event either arrives through the group or is already visible in the database.
"""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import webhooks
from flowbuilder.execution.models import TERMINAL_RUN, Run
from flowbuilder.realtime.groups import run_group

TERMINAL_EVENTS = {"run.succeeded", "run.failed", "run.cancelled"}


def _status_url(run_id: int) -> str:
    return f"/api/runs/{run_id}/"


@csrf_exempt
async def webhook(request: HttpRequest, token: str) -> JsonResponse:
    if request.method not in ("POST", "PUT", "GET"):
        return JsonResponse({"detail": "Use POST."}, status=405)
    try:
        target = await sync_to_async(webhooks.find_target)(token)
        body = request.body
        webhooks.check_signature(target, body, request.headers)
        items = webhooks.parse_body(body, request.content_type or "", dict(request.GET.items()))
    except webhooks.WebhookNotFound:
        return JsonResponse({"detail": "No published flow listens at this URL."}, status=404)
    except webhooks.SignatureInvalid as exc:
        return JsonResponse({"detail": str(exc)}, status=401)
    except InvalidInputError as exc:
        return JsonResponse(
            {"detail": exc.message, "errors": {exc.field or "body": [exc.message]}}, status=400
        )
    for item in items:
        item.pop("wait", None)
    wait = request.GET.get("wait") in {"1", "true", "yes"} or target.wants_result
    if not wait:
        run = await sync_to_async(webhooks.trigger_webhook)(target, items)
        return JsonResponse(
            {"run_id": run.pk, "status": run.status, "status_url": _status_url(run.pk)}, status=202
        )
    return await _run_and_wait(target, items)


async def _run_and_wait(target: webhooks.WebhookTarget, items: list) -> JsonResponse:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    run = await sync_to_async(webhooks.trigger_webhook)(target, items)
    group = run_group(run.pk)
    await layer.group_add(group, channel)
    deadline = time.monotonic() + settings.FLOWBUILDER_WEBHOOK_WAIT_S
    try:
        done = await _is_terminal(run.pk)
        while not done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return JsonResponse(
                    {
                        "run_id": run.pk,
                        "status": "running",
                        "status_url": _status_url(run.pk),
                        "detail": "Still running; follow status_url.",
                    },
                    status=202,
                )
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=min(remaining, 5.0))
            except TimeoutError:
                done = await _is_terminal(run.pk)  # a lost message must not make us wait the whole time
                continue
            done = any(e.get("type") in TERMINAL_EVENTS for e in message.get("events", []))
    finally:
        await layer.group_discard(group, channel)
    return await _result(run.pk)


@sync_to_async
def _is_terminal(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, status__in=list(TERMINAL_RUN)).exists()


@sync_to_async
def _result(run_id: int) -> JsonResponse:
    run = Run.objects.only("status", "output_items", "error").get(pk=run_id)
    if run.status != "succeeded":
        # The request was fine; the flow failed on it. Say which node and why, never a bare 5xx.
        return JsonResponse(
            {"run_id": run_id, "status": run.status, "error": run.error, "status_url": _status_url(run_id)},
            status=422,
        )
    output = run.output_items or []
    body = output[0] if len(output) == 1 else output
    return JsonResponse(body, safe=False, status=200, headers={"X-Flowbuilder-Run": str(run_id)})
