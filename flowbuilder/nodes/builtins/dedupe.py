"""Remove duplicates: keep one item per key."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import FIELD_LIST, expression_property, item_bindings, key_of, require_main


class DedupeItems(BaseNode):
    type = "transform.dedupe"
    label = "Remove duplicates"
    category = "Transform"
    icon = "copy-minus"
    streams_items = True
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
        items = require_main(inputs)
        out = ItemBuffer()
        if self.config.get("keep") == "last":
            # Where each key is seen last decides, so the input is read twice (a spooled one from disk
            # again); memory holds a 16-byte digest per item, not the items (a whole item can be a key).
            digests = [self._digest(item, bindings) for _index, item, bindings in item_bindings(ctx, items)]
            last = {digest: index for index, digest in enumerate(digests)}
            out.extend(item for index, item in enumerate(items) if last[digests[index]] == index)
        else:
            seen: set[bytes] = set()  # one pass: the first item of each key is kept as it comes
            for _index, item, bindings in item_bindings(ctx, items):
                digest = self._digest(item, bindings)
                if digest not in seen:
                    seen.add(digest)
                    out.append(item)
        return {"main": out.result()}

    def _digest(self, item: dict, bindings: dict[str, Any]) -> bytes:
        fields = list(self.config.get("key_fields") or [])
        expression = self.config.get("key_expression") or None
        if fields or expression:
            key = key_of(item, fields, expression, bindings)
        else:
            key = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.blake2b(key.encode(), digest_size=16).digest()
