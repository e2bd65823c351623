"""POST /hooks/<token>/: start a run; with ?wait=1 (or response mode "last node") answer with its result.

Waiting does not poll the database: before the run exists the view joins a one-off "waiter" group that
the engine notifies, with the output, in the same commit that ends the run. A lost message only costs a
status check every few seconds.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import webhooks
from flowbuilder.execution.models import TERMINAL_RUN, Run
from flowbuilder.realtime.groups import waiter_group

LOST_MESSAGE_CHECK_S = 3.0
_background: set[asyncio.Task] = set()


def _status_url(run_id: int) -> str:
    return f"/api/runs/{run_id}/"


@csrf_exempt
async def webhook(request: HttpRequest, token: str) -> JsonResponse:
    if request.method not in ("POST", "PUT", "GET"):
        return JsonResponse({"detail": "Use POST."}, status=405)
    layer = get_channel_layer()
    waiter = uuid.uuid4().hex
    channel = await layer.new_channel()
    group = waiter_group(waiter)
    await layer.group_add(group, channel)
    try:
        try:
            _, run, _ = await sync_to_async(_accept)(
                token,
                request.body,
                request.content_type or "",
                dict(request.GET.items()),
                request.headers,
                waiter=waiter,
            )
        except webhooks.WebhookNotFound:
            return JsonResponse({"detail": "No published flow listens at this URL."}, status=404)
        except webhooks.SignatureInvalid as exc:
            return JsonResponse({"detail": str(exc)}, status=401)
        except InvalidInputError as exc:
            return JsonResponse(
                {"detail": exc.message, "errors": {exc.field or "body": [exc.message]}}, status=400
            )
        if not (run.options or {}).get("waiter"):
            return JsonResponse(
                {"run_id": run.pk, "status": run.status, "status_url": _status_url(run.pk)}, status=202
            )
        return await _wait(layer, channel, run.pk)
    finally:
        # Leaving the group is bookkeeping: do it after the response instead of before it.
        task = asyncio.create_task(layer.group_discard(group, channel))
        _background.add(task)
        task.add_done_callback(_background.discard)


def _accept(*args, **kwargs):
    """The database part of a webhook call, in one hop; the connection then goes back to the pool."""
    try:
        return webhooks.accept(*args, **kwargs)
    finally:
        if not connection.in_atomic_block:  # (a test's transaction must stay open)
            connection.close()


async def _wait(layer, channel: str, run_id: int) -> JsonResponse:
    deadline = time.monotonic() + settings.FLOWBUILDER_WEBHOOK_WAIT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return JsonResponse(
                {
                    "run_id": run_id,
                    "status": "running",
                    "status_url": _status_url(run_id),
                    "detail": "Still running; follow status_url.",
                },
                status=202,
            )
        try:
            message = await asyncio.wait_for(
                layer.receive(channel), timeout=min(remaining, LOST_MESSAGE_CHECK_S)
            )
        except TimeoutError:
            finished = await _finished(run_id)
            if finished is not None:
                return _respond(run_id, finished)
            continue
        if message.get("run_id") == run_id:
            if message.get("output_items") is None and message.get("status") == "succeeded":
                return _respond(run_id, await _finished(run_id))  # too large to send through Redis
            return _respond(run_id, message)


@sync_to_async
def _finished(run_id: int) -> dict | None:
    run = (
        Run.objects.filter(pk=run_id, status__in=list(TERMINAL_RUN))
        .only("status", "output_items", "error")
        .first()
    )
    return {"status": run.status, "output_items": run.output_items, "error": run.error} if run else None


def _respond(run_id: int, result: dict) -> JsonResponse:
    if result["status"] != "succeeded":
        # The request was fine; the flow failed on it. Say which node and why, never a bare 5xx.
        return JsonResponse(
            {
                "run_id": run_id,
                "status": result["status"],
                "error": result.get("error"),
                "status_url": _status_url(run_id),
            },
            status=422,
        )
    output = result.get("output_items") or []
    body = output[0] if len(output) == 1 else output
    return JsonResponse(body, safe=False, status=200, headers={"X-Flowbuilder-Run": str(run_id)})
