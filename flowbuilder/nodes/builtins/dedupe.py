"""Remove duplicates: keep one item per key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import ClassVar

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
        fields = list(self.config.get("key_fields") or [])
        expression = self.config.get("key_expression") or None
        # A 16-byte digest of each item's key: memory holds those, not the items (a whole item can be a key).
        keys = []
        for _index, item, bindings in item_bindings(ctx, items):
            if fields or expression:
                key = key_of(item, fields, expression, bindings)
            else:
                key = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
            keys.append(hashlib.blake2b(key.encode(), digest_size=16).digest())
        if self.config.get("keep") == "last":
            last = {key: index for index, key in enumerate(keys)}
            kept = (item for index, item in enumerate(items) if last[keys[index]] == index)
        else:
            kept = _first_of_each(items, keys)
        out = ItemBuffer()  # read a second time (a spooled input is read from disk again), kept in order
        out.extend(kept)
        return {"main": out.result()}


def _first_of_each(items: Iterable[dict], keys: list[bytes]) -> Iterator[dict]:
    seen: set[bytes] = set()
    for item, key in zip(items, keys, strict=True):
        if key not in seen:
            seen.add(key)
            yield item
