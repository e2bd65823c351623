"""Split items into batches (e.g. 200 records per bulk API call)."""

from __future__ import annotations

from typing import ClassVar

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import require_main


class SplitBatches(BaseNode):
    type = "transform.split_batches"
    label = "Split into batches"
    category = "Transform"
    icon = "layers"
    description = "Group items into batches of a fixed size."
    docs = (
        'Emits one item per batch: `{"batch": [...items...], "batch_index": 0}`. The last batch '
        'may be smaller. Use it before a bulk API call such as `{"records": {{ $item.batch }}}`.'
    )
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "batch_size": {
                "type": "integer",
                "title": "Batch size",
                "minimum": 1,
                "maximum": 10000,
                "default": 100,
            }
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        size = int(self.config.get("batch_size", 100))
        return {
            "main": [
                {"batch": items[start : start + size], "batch_index": i}
                for i, start in enumerate(range(0, len(items), size))
            ]
        }
