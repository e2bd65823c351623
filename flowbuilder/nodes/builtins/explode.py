"""One item per element of a list field (the inverse of aggregate's ``list``)."""

from __future__ import annotations

from typing import ClassVar

from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import get_path, require_main


class ExplodeList(BaseNode):
    type = "transform.explode"
    label = "One item per list element"
    category = "Transform"
    icon = "list-tree"
    streams_items = True
    description = "Turn each element of a list field into an item of its own, keeping the other fields."
    docs = (
        "For every item, each element of **List field** (a dotted path) becomes one item: the item's "
        "fields plus the element under **As**. An item whose field is empty or not a list yields nothing."
    )
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "title": "List field", "minLength": 1},
            "as": {"type": "string", "title": "As", "minLength": 1, "default": "element"},
        },
        "required": ["field"],
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        name = self.config.get("as") or "element"
        out = ItemBuffer()  # one item can become many: a long output spools to disk
        for item in require_main(inputs):
            values = get_path(item, self.config["field"])
            if isinstance(values, list):
                out.extend({**item, name: value} for value in values)
        return {"main": out.result()}
