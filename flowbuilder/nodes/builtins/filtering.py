"""Filter items by a condition."""

from __future__ import annotations

from typing import ClassVar

from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, NodeContext, Port, PortItems
from ..expressions import evaluate_field, is_truthy
from ._helpers import expression_property, item_bindings, require_main

CONDITION = expression_property(
    "Condition",
    "JSONata expression, true to keep the item, e.g. $item.amount > 1000.",
)


class FilterItems(BaseNode):
    type = "transform.filter"
    label = "Filter"
    category = "Transform"
    icon = "filter"
    streams_items = True
    description = "Keep the items matching a condition; the others go to 'rejected'."
    docs = (
        "Evaluates **Condition** for every item (`$item`, `$index`). Items for which it is true leave "
        "on **main**; the others on **rejected** (leave it unconnected to drop them)."
    )
    outputs = (Port("main", "Kept"), Port("rejected", "Rejected"))
    expression_fields = ("condition",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {"condition": {**CONDITION, "minLength": 1}},
        "required": ["condition"],
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        condition = self.config["condition"]
        kept, rejected = ItemBuffer(), ItemBuffer()
        for _, item, bindings in item_bindings(ctx, require_main(inputs)):
            (kept if is_truthy(evaluate_field(condition, bindings)) else rejected).append(item)
        return {"main": kept.result(), "rejected": rejected.result()}
