"""Flow control: run another flow, or do nothing (a junction / placeholder)."""

from __future__ import annotations

from typing import ClassVar

from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import require_main


class SubflowNode(BaseNode):
    type = "flow.subflow"
    label = "Run sub-flow"
    category = "Flow"
    icon = "workflow"
    description = "Run another published flow with these items and continue with its output."
    docs = (
        "Starts the published version of **Flow** with this node's items as its input and waits "
        "for it. The sub-flow's output items leave on **main**."
    )
    side_effects = True
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "flow_id": {"type": "integer", "title": "Flow", "minimum": 1, "x-widget": "flow-picker"}
        },
        "required": ["flow_id"],
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        if ctx.run_subflow is None:
            raise NodeError("Sub-flows cannot run here.", hint="Run the flow through the executor.")
        result = ctx.run_subflow(int(self.config["flow_id"]), list(require_main(inputs)))
        if not isinstance(result, list):
            raise NodeError(f"Sub-flow {self.config['flow_id']} returned no list of items.")
        return {"main": result}


class NoopNode(BaseNode):
    type = "flow.noop"
    label = "No operation"
    category = "Flow"
    icon = "circle-dot"
    description = "Pass items through unchanged (a junction or placeholder)."
    docs = "Passes its items through unchanged. Handy as a junction or a placeholder while building."
    config_schema: ClassVar[dict] = {"type": "object", "properties": {}, "additionalProperties": False}

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        return {"main": list(require_main(inputs))}
