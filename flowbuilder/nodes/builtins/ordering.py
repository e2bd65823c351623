"""Sort: reorder a list of items by fields or an expression."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core.item_spool import in_order

from ..base import BaseNode, NodeContext, PortItems
from ..expressions import evaluate_field
from ._helpers import expression_property, get_path, item_bindings, require_main


def _sort_key(value: Any) -> tuple:
    """Orders mixed values deterministically: numbers, then strings, then others; missing last."""
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, repr(value))


class SortItems(BaseNode):
    type = "transform.sort"
    label = "Sort"
    category = "Transform"
    icon = "arrow-up-down"
    streams_items = True
    description = "Sort items by a field or an expression."
    docs = (
        "Sorts by **Field** (dot path) or, if set, by **Key expression**. Numbers sort before text; "
        "items without a value sort last in either order. The sort is stable."
    )
    expression_fields = ("key_expression",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "title": "Field", "description": "Dot path, e.g. amount."},
            "key_expression": expression_property("Key expression", "Used instead of Field if set."),
            "order": {"type": "string", "title": "Order", "enum": ["asc", "desc"], "default": "asc"},
        },
        "additionalProperties": False,
    }

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        if not config.get("field") and not config.get("key_expression"):
            return [("field", "Set a field or a key expression to sort by.")]
        return []

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        expression = self.config.get("key_expression")
        field = self.config.get("field") or ""
        keyed = []  # (sort key, position): a long input's items stay on disk, only their keys are held
        for index, item, bindings in item_bindings(ctx, items):
            value = evaluate_field(expression, bindings) if expression else get_path(item, field)
            keyed.append((_sort_key(value), index))
        present = [k for k in keyed if k[0][0] != 3]
        missing = [k for k in keyed if k[0][0] == 3]
        # reverse=True keeps equal keys in input order, so the sort stays stable both ways.
        present.sort(key=lambda k: k[0], reverse=self.config.get("order") == "desc")
        return {"main": in_order(items, (index for _, index in present + missing))}
