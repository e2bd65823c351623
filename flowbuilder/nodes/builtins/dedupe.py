"""Remove duplicates: keep one item per key."""

from __future__ import annotations

import json
from typing import ClassVar

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import FIELD_LIST, expression_property, item_bindings, key_of, require_main


class DedupeItems(BaseNode):
    type = "transform.dedupe"
    label = "Remove duplicates"
    category = "Transform"
    icon = "copy-minus"
    description = "Keep one item per key (the first or the last seen)."
    docs = (
        "Items with equal values in all **Key fields** (or equal **Key expression** results) are "
        "duplicates; **Keep** `first` or `last` of each group. Order follows the kept items. With no "
        "key, whole items are compared."
    )
    expression_fields = ("key_expression",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "key_fields": {**FIELD_LIST, "title": "Key fields"},
            "key_expression": expression_property("Key expression", "Used instead of key fields if set."),
            "keep": {"type": "string", "title": "Keep", "enum": ["first", "last"], "default": "first"},
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        fields = list(self.config.get("key_fields") or [])
        expression = self.config.get("key_expression") or None
        keep_last = self.config.get("keep") == "last"
        chosen: dict[str, tuple[int, dict]] = {}
        for index, item, bindings in item_bindings(ctx, require_main(inputs)):
            if fields or expression:
                key = key_of(item, fields, expression, bindings)
            else:
                key = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
            if keep_last or key not in chosen:
                chosen[key] = (index, item)
        return {"main": [item for _, item in sorted(chosen.values(), key=lambda pair: pair[0])]}
