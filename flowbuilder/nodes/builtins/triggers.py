"""Trigger nodes: where a run's input items enter the graph."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core import cron

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import require_main


class ManualTrigger(BaseNode):
    type = "trigger.manual"
    label = "Manual trigger"
    category = "Trigger"
    icon = "play"
    description = "Start the flow by hand (Run button or API) with the items you supply."
    docs = (
        "Starts a run when you press **Run** or call `POST /api/flows/{id}/runs/`.\n\n"
        "The items given to the run come out of this node unchanged."
    )
    is_trigger = True
    inputs = ()
    config_schema: ClassVar[dict] = {"type": "object", "properties": {}, "additionalProperties": False}

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        return {"main": list(require_main(inputs))}


class WebhookTrigger(BaseNode):
    type = "trigger.webhook"
    label = "Webhook"
    category = "Trigger"
    icon = "webhook"
    description = "Start the flow when an HTTP request arrives at the flow's webhook URL."
    docs = (
        "Each request to the flow's webhook URL starts a run. The request body becomes the item.\n\n"
        "* **Response mode** `accepted` answers `202` at once; `last_node` waits for the run and "
        "returns the last node's items.\n"
        "* **Require signature** checks an HMAC-SHA256 of the body in the signature header.\n"
        "* **Delivery id header** or **Delivery id path** (e.g. `X-Event-Id`, or `event.id` / `/event/id` "
        "into the body): a delivery repeated within the **Deduplication window** starts nothing and "
        "answers with the first delivery's run (senders retry; each event still runs once). A request "
        "without the id starts a run as usual.\n"
        "* **Validation handshake**: for Business Central webhook subscriptions (create one with the "
        "connector's *Create webhook subscription* and this URL): the handshake is answered, each change "
        "in a notification is an item, and **Client state** must match.\n\n"
        "Text like `{{ ... }}` inside the request body is data, never an expression."
    )
    is_trigger = True
    inputs = ()
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "http_method": {
                "type": "string",
                "title": "HTTP method",
                "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                "default": "POST",
            },
            "response_mode": {
                "type": "string",
                "title": "Response",
                "description": "accepted: answer 202 at once; last_node: wait and return the result.",
                "enum": ["accepted", "last_node"],
                "default": "accepted",
            },
            "require_signature": {
                "type": "boolean",
                "title": "Require signature",
                "description": "Refuse requests without a valid HMAC signature.",
                "default": False,
            },
            "signature_header": {
                "type": "string",
                "title": "Signature header",
                "minLength": 1,
                "default": "X-Flowbuilder-Signature",
            },
            "delivery_id_header": {
                "type": "string",
                "title": "Delivery id header",
                "description": "A header that names each delivery, e.g. X-Event-Id: repeats start nothing.",
                "maxLength": 100,
            },
            "delivery_id_path": {
                "type": "string",
                "title": "Delivery id path",
                "description": "Where the body names each delivery: event.id, or the JSON pointer /event/id.",
                "maxLength": 200,
            },
            "delivery_window_s": {
                "type": "integer",
                "title": "Deduplication window (seconds)",
                "minimum": 60,
                "maximum": 30 * 86_400,
                "default": 86_400,
            },
            "validation_handshake": {
                "type": "boolean",
                "title": "Validation handshake (Business Central subscriptions)",
                "description": 'Answer ?validationToken= with the token as text; a {"value": [...]} '
                "notification becomes one item per change.",
                "default": False,
            },
            "client_state": {
                "type": "string",
                "title": "Client state",
                "description": "With the handshake: the clientState the subscription was created with; "
                "notifications without it are refused.",
                "maxLength": 2048,
            },
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        # The web layer has already checked the signature and turned the request into items.
        return {"main": list(require_main(inputs))}

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        path = str(config.get("delivery_id_path") or "")
        header = str(config.get("delivery_id_header") or "")
        if header and not HEADER_NAME.match(header):
            return [("delivery_id_header", "A header name has letters, digits and - _ . only: X-Event-Id.")]
        if header and path:
            return [("delivery_id_path", "Name the delivery id by a header or by a body path, not both.")]
        if path and not DELIVERY_PATH.match(path):
            return [
                (
                    "delivery_id_path",
                    "A delivery id path is a dotted path (event.id, items.0.id) or a JSON pointer "
                    "(/event/id), not an expression.",
                )
            ]
        return []


HEADER_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
# A dotted path of names and list indexes, or a JSON pointer; never an expression.
DELIVERY_PATH = re.compile(r"^(?:[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*|(?:/[^/]*)+)$")


class ScheduleTrigger(BaseNode):
    type = "trigger.schedule"
    label = "Schedule"
    category = "Trigger"
    icon = "clock"
    description = "Start the flow on a schedule: every N seconds or on a cron expression (your time zone)."
    docs = (
        "Starts one run per tick once the flow is published. The run gets one item, "
        '`{"scheduled_at": "<ISO time>", "node_id": "<this node>"}`.\n\n'
        "* **Every** runs every *Interval* seconds.\n"
        "* **Cron** takes five fields, `minute hour day-of-month month day-of-week`, in the "
        "organisation's time zone: `0 6 * * 1-5` is 06:00 on weekdays, local time, summer and winter. "
        "On the night the clocks go forward, a time that does not exist (02:30) runs once when the clock "
        "jumps (03:00); when they go back, a fixed time in the repeated hour runs once. The inspector "
        "shows the next five times.\n\n"
        "A tick missed while the scheduler was down is run once, not once per missed tick."
    )
    is_trigger = True
    inputs = ()
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "mode": {
                "type": "string",
                "title": "Repeat",
                "enum": ["interval", "cron"],
                "default": "interval",
            },
            "interval_s": {
                "type": "integer",
                "title": "Interval (seconds)",
                "minimum": 1,
                "maximum": 31_536_000,
                "default": 3600,
            },
            "cron": {
                "type": "string",
                "title": "Cron expression",
                "description": "minute hour day-of-month month day-of-week, in the organisation's time zone",
                "default": "0 * * * *",
            },
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        return {"main": list(require_main(inputs))}

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        if config.get("mode") != "cron":
            return []
        problem = cron.check(str(config.get("cron") or ""))
        return [("cron", f"Invalid cron expression: {problem}")] if problem else []
