"""Split items into batches (e.g. 200 records per bulk API call)."""

from __future__ import annotations

from typing import ClassVar

from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import require_main


class SplitBatches(BaseNode):
    type = "transform.split_batches"
    label = "Split into batches"
    category = "Transform"
    icon = "layers"
    streams_items = True
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
        size = int(self.config.get("batch_size", 100))
        out, batch = ItemBuffer(), []
        for item in require_main(inputs):
            batch.append(item)
            if len(batch) == size:
                out.append({"batch": batch, "batch_index": len(out)}, weight=size)
                batch = []
        if batch:
            out.append({"batch": batch, "batch_index": len(out)}, weight=len(batch))
        return {"main": out.result()}
