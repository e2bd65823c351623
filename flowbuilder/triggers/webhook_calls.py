"""Webhook calls, independent of the HTTP plumbing: request parts in, (status, JSON body, headers) out.

Both HTTP adapters in ``flowbuilder.api`` (the Django view and the lean ASGI route) call
:func:`handle_webhook`. Waiting does not poll the database: the process's waiter hub
(flowbuilder.execution.waiters) is subscribed before the run exists, and the engine sends it the output
after the commit that ends the run. A lost message only costs a status check every few seconds.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import waiters
from flowbuilder.execution.models import TERMINAL_RUN, Run

from . import webhooks

LOST_MESSAGE_CHECK_S = 3.0
POLL_S = 0.25  # how often a caller checks the database when the waiter hub has no subscription
DUPLICATE_HEADER = "X-Flowbuilder-Duplicate"  # set on answers to a repeated delivery

Answer = tuple[int, Any, dict[str, str]]


def _status_url(run_id: int) -> str:
    return f"/api/runs/{run_id}/"


async def handle_webhook(
    method: str,
    token: str,
    body: bytes,
    content_type: str,
    query: dict[str, str],
    headers: Any,
    environment: str = "",
) -> Answer:
    """``environment`` "" is the published (prod) version; "dev"/"test" that environment's release."""
    if method not in ("POST", "PUT", "GET"):
        return 405, {"detail": "Use POST."}, {}
    if webhooks.VALIDATION_TOKEN in query:
        try:
            echo = await sync_to_async(_handshake)(token, body, query, environment)
        except webhooks.WebhookNotFound:
            return 404, {"detail": "No published flow listens at this URL."}, {}
        except InvalidInputError as exc:
            return 400, {"detail": exc.message, "errors": {exc.field or "body": [exc.message]}}, {}
        if echo is not None:
            return 200, echo, {}
    hub = waiters.hub()
    # Subscribed before the run exists, its result cannot be missed; without Redis the caller polls.
    subscribed = await hub.ready()
    waiter = hub.register()
    try:
        try:
            accepted = await sync_to_async(_accept)(
                token, body, content_type, query, headers, waiter=waiter, environment=environment
            )
        except webhooks.WebhookNotFound:
            return 404, {"detail": "No published flow listens at this URL."}, {}
        except webhooks.SignatureInvalid as exc:
            return 401, {"detail": str(exc)}, {}
        except InvalidInputError as exc:
            return 400, {"detail": exc.message, "errors": {exc.field or "body": [exc.message]}}, {}
        run = accepted.run
        if accepted.duplicate:
            return await _answer_duplicate(accepted, query, hub, waiter)
        if not (run.options or {}).get("waiter"):
            return 202, {"run_id": run.pk, "status": run.status, "status_url": _status_url(run.pk)}, {}
        return await _wait(hub, waiter, run.pk, check_every=LOST_MESSAGE_CHECK_S if subscribed else POLL_S)
    finally:
        hub.discard(waiter)


async def _answer_duplicate(
    accepted: webhooks.Accepted, query: dict[str, str], hub: waiters.WaiterHub, waiter: str
) -> Answer:
    """A repeated delivery answers as the first did, with the first run; waiting, with its result (read
    from the database: the engine tells only the first caller's waiter, never this one)."""
    run, seen = accepted.run, {DUPLICATE_HEADER: "1"}
    if run is None:
        return 202, {"run_id": None, "status": "duplicate", "detail": "Already delivered."}, seen
    wait = query.get("wait") in {"1", "true", "yes"} or accepted.target.wants_result
    if not wait:
        return 202, {"run_id": run.pk, "status": run.status, "status_url": _status_url(run.pk)}, seen
    status, payload, headers = await _wait(hub, waiter, run.pk, check_every=POLL_S)
    return status, payload, {**headers, **seen}


def _handshake(
    token: str, body: bytes, query: dict[str, str], environment: str = ""
) -> webhooks.PlainText | None:
    try:
        return webhooks.handshake(token, body, query, environment)
    finally:
        if not connection.in_atomic_block:  # (a test's transaction must stay open)
            connection.close()


def _accept(*args: Any, **kwargs: Any) -> Any:
    """The database part of a webhook call, in one hop; the connection then goes back to the pool."""
    try:
        return webhooks.accept(*args, **kwargs)
    finally:
        if not connection.in_atomic_block:  # (a test's transaction must stay open)
            connection.close()


async def _wait(hub: waiters.WaiterHub, waiter: str, run_id: int, check_every: float) -> Answer:
    deadline = time.monotonic() + settings.FLOWBUILDER_WEBHOOK_WAIT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return (
                202,
                {
                    "run_id": run_id,
                    "status": "running",
                    "status_url": _status_url(run_id),
                    "detail": "Still running; follow status_url.",
                },
                {},
            )
        data = await hub.wait(waiter, timeout=min(remaining, check_every))
        if data is None:
            finished = await _finished(run_id)  # a lost message must not make us wait the whole time
            if finished is not None:
                return _result(run_id, finished)
            continue
        if data.get("output_items") is None and data.get("status") == "succeeded":
            return _result(run_id, await _finished(run_id))  # too large to send through Redis
        return _result(run_id, data)


@sync_to_async
def _finished(run_id: int) -> dict | None:
    try:
        run = (
            Run.objects.filter(pk=run_id, status__in=list(TERMINAL_RUN))
            .only("status", "output_items", "error")
            .first()
        )
        return {"status": run.status, "output_items": run.output_items, "error": run.error} if run else None
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _result(run_id: int, result: dict) -> Answer:
    if result["status"] != "succeeded":
        # The request was fine; the flow failed on it. Say which node and why, never a bare 5xx.
        return (
            422,
            {
                "run_id": run_id,
                "status": result["status"],
                "error": result.get("error"),
                "status_url": _status_url(run_id),
            },
            {},
        )
    output = result.get("output_items") or []
    return 200, (output[0] if len(output) == 1 else output), {"X-Flowbuilder-Run": str(run_id)}
