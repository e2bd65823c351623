"""Trigger nodes: where a run's input items enter the graph."""

from __future__ import annotations

from typing import ClassVar

from ..base import BaseNode, NodeContext, PortItems
from ..registry import register
from ._helpers import require_main


@register
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


@register
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
        "* **Require signature** checks an HMAC-SHA256 of the body in the signature header.\n\n"
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
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        # The web layer has already checked the signature and turned the request into items.
        return {"main": list(require_main(inputs))}
