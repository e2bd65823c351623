"""Webhook triggers: find the flow by its secret token, check the optional signature, start a run."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution.actions import normalise_items, start_run
from flowbuilder.execution.models import Run, RunOrigin
from flowbuilder.flows.models import Flow, FlowVersion

SIGNATURE_HEADER = "X-Flowbuilder-Signature"
MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass
class WebhookTarget:
    flow: Flow
    config: dict[str, Any]

    @property
    def wants_result(self) -> bool:
        return self.config.get("response_mode") == "last_node"


class WebhookNotFound(Exception):
    pass


class SignatureInvalid(Exception):
    pass


def find_target(token: str) -> WebhookTarget:
    # Only the columns a call needs: the published document and plan stay in the database.
    flow = (
        Flow.objects.only(
            "id",
            "organisation_id",
            "published_version_id",
            "webhook_secret",
            "max_concurrent_runs",
            "criticality",
        )
        .filter(webhook_token=token)
        .first()
    )
    if flow is None or flow.published_version_id is None:
        raise WebhookNotFound
    return WebhookTarget(flow, trigger_config(flow.published_version_id))


@lru_cache(maxsize=1024)
def trigger_config(version_id: int) -> dict[str, Any]:
    """The webhook trigger's config of a published version; versions are immutable, so it is cached."""
    document = FlowVersion.objects.values_list("document", flat=True).get(pk=version_id)
    for node in document.get("nodes", []):
        if node.get("type") == "trigger.webhook":
            return node.get("config") or {}
    return {}


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(target: WebhookTarget, body: bytes, headers: Any) -> None:
    if not target.config.get("require_signature"):
        return
    header = target.config.get("signature_header") or SIGNATURE_HEADER
    given = headers.get(header, "")
    if not given or not hmac.compare_digest(given, signature_for(target.flow.webhook_secret, body)):
        raise SignatureInvalid(
            f"Missing or wrong {header}: sign the raw body with HMAC-SHA256 of the flow's secret."
        )


def parse_body(body: bytes, content_type: str, query: dict[str, str]) -> list[dict[str, Any]]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInputError("The body is larger than 5 MB.", field="body")
    if not body.strip():
        return [dict(query)] if query else [{}]
    if "json" not in content_type and content_type:
        # Form posts and text arrive as one item; nothing in them is ever evaluated.
        return [{"body": body.decode("utf-8", "replace"), **query}]
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidInputError(f"The body is not valid JSON: {exc}.", field="body") from exc
    return normalise_items(data)


def trigger_webhook(target: WebhookTarget, items: list[dict[str, Any]], *, waiter: str = "") -> Run:
    """Start the run; with ``waiter`` the engine also tells that waiting caller when the run ends."""
    options = {"waiter": waiter} if waiter else None
    return start_run(
        actor=None, flow=target.flow, input_items=items, origin=RunOrigin.WEBHOOK, options=options
    )


def accept(
    token: str, body: bytes, content_type: str, query: dict[str, str], headers: Any, *, waiter: str = ""
) -> tuple[WebhookTarget, Run | None, list[dict[str, Any]]]:
    """Everything a webhook call needs from the database, in one hop: find, verify, parse, start.

    The run is started here unless the caller must first decide whether to wait (``waiter`` None).
    """
    target = find_target(token)
    check_signature(target, body, headers)
    items = parse_body(body, content_type, query)
    for item in items:
        item.pop("wait", None)
    wait = query.get("wait") in {"1", "true", "yes"} or target.wants_result
    run = trigger_webhook(target, items, waiter=waiter if wait else "")
    return target, run, items
