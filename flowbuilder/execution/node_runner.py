"""Run one node: build its instance, call ``run``, and turn every way it can end into an Outcome."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from flowbuilder.core.errors import NodeError, RetryableNodeError
from flowbuilder.core.item_spool import any_spooled, plain
from flowbuilder.nodes.base import NodeContext, PortItems, Suspend
from flowbuilder.nodes.registry import load_registry

from .backoff import retry_delay_s
from .failures import NEXT_STEP, classify, is_rate_limit
from .outcome import Outcome

log = logging.getLogger(__name__)


def _is_retryable(exc: BaseException) -> bool:
    # Connector errors are duck-typed: the connectors package must not depend on flowbuilder.
    return isinstance(exc, RetryableNodeError) or bool(getattr(exc, "retryable", False))


def _error_dict(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, NodeError):
        data = exc.as_dict()
    else:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        data = {"message": str(message)}
        hint = getattr(exc, "hint", "")
        if hint:
            data["hint"] = str(hint)
    data["type"] = type(exc).__name__
    category = classify(exc)
    data["category"] = category.value
    if not data.get("hint"):
        data["hint"] = NEXT_STEP[category]
    status = getattr(exc, "status", None) or getattr(exc.__cause__, "status", None)
    if isinstance(status, int):
        data.setdefault("status", status)
    return data


def run_node(
    spec: Any, ctx: NodeContext, inputs: PortItems, attempt: int, *, waited_s: float = 0.0
) -> Outcome:
    """Execute a node once. Never raises: failures and parking come back as an Outcome.

    ``waited_s`` is how long ago the node's first attempt started: rate limits (429, or 503 with
    Retry-After) are waited out until ``retry.rate_limit_deadline_s`` from then, however many attempts
    that takes; other retryable errors count against ``retry.max_attempts``.
    """
    started = timezone.now()
    t0 = time.perf_counter()
    counts = {port: len(items) for port, items in inputs.items()}
    retry = {**_default_retry(spec.type), **(spec.retry or {})}
    try:
        if spec.disabled:
            outputs: PortItems = {"main": list(inputs.get("main", []))}
        else:
            node_cls = load_registry().get(spec.type)
            if node_cls is None:
                raise NodeError(
                    f"Unknown node type {spec.type!r}.", hint="Replace the node with one from the palette."
                )
            if not node_cls.streams_items and any_spooled(inputs):
                inputs = plain(inputs)  # a spooled input is read into a list for nodes that index it
            outputs = node_cls(spec.config or {}).run(ctx, inputs) or {}
        outcome = Outcome("succeeded", outputs=outputs)
    except Suspend as parked:
        outcome = Outcome("waiting", wake_at=parked.until, suspend_state=parked.state)
    except Exception as exc:  # every failure becomes data; the run decides what it means
        if not isinstance(exc, NodeError) and not hasattr(exc, "retryable"):
            log.exception("node %s (%s) raised", ctx.node_id, spec.type)
        error = _error_dict(exc)
        max_attempts = int(retry.get("max_attempts", 1) or 1)
        deadline_s = float(retry.get("rate_limit_deadline_s", settings.FLOWBUILDER_RATE_LIMIT_DEADLINE_S))
        retry_after = getattr(exc, "retry_after", None)
        if is_rate_limit(exc) and waited_s + float(retry_after or 0) < deadline_s:
            # Parked, not failed: the run waits for the system's window (worker freed meanwhile).
            delay = retry_delay_s(
                attempt,
                backoff_s=float(retry.get("backoff_s", 1.0)),
                retry_after=retry_after,
                cap_s=settings.FLOWBUILDER_RETRY_AFTER_CAP_S,
            )
            error["waiting_for"] = "rate limit"
            outcome = Outcome("retrying", error=error, retry_in_s=delay)
        elif _is_retryable(exc) and attempt < max_attempts:
            delay = retry_delay_s(
                attempt,
                backoff_s=float(retry.get("backoff_s", 1.0)),
                retry_after=getattr(exc, "retry_after", None),
                cap_s=settings.FLOWBUILDER_RETRY_AFTER_CAP_S,
            )
            outcome = Outcome("retrying", error=error, retry_in_s=delay)
        elif spec.on_error == "continue":
            outcome = Outcome(
                "failed", outputs={"main": list(inputs.get("main", []))}, error=error, continued=True
            )
        elif spec.on_error == "error_port":
            items = inputs.get("main", []) or [{}]
            outcome = Outcome(
                "failed",
                outputs={"error": [{**item, "error": error} for item in items]},
                error=error,
                continued=True,
            )
        else:
            outcome = Outcome("failed", error=error)
    outcome.attempt = attempt
    outcome.input_counts = counts
    outcome.started_at = started
    outcome.finished_at = timezone.now()
    outcome.duration_ms = round((time.perf_counter() - t0) * 1000, 3)
    return outcome


def _default_retry(type_id: str) -> dict[str, Any]:
    node_cls = load_registry().get(type_id)
    return dict(node_cls.default_retry) if node_cls else {}


def is_side_effect(type_id: str) -> bool:
    node_cls = load_registry().get(type_id)
    return bool(node_cls.side_effects) if node_cls else False


def exception_ports(type_id: str) -> tuple[str, ...]:
    node_cls = load_registry().get(type_id)
    return tuple(node_cls.exception_ports) if node_cls else ()


def exceptions_complete(type_id: str) -> bool:
    node_cls = load_registry().get(type_id)
    return bool(node_cls and node_cls.exceptions_complete)


def always_runs(type_id: str) -> bool:
    node_cls = load_registry().get(type_id)
    return bool(node_cls and (node_cls.always_runs or node_cls.is_trigger))
