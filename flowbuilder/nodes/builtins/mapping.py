"""Set / map fields: the workhorse of every flow (and the W1 benchmark's hot node)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core.item_spool import ItemBuffer

from ..base import BaseNode, NodeContext, PortItems
from ..expressions import render_template
from ._helpers import item_bindings, require_main, set_path


class MapFields(BaseNode):
    type = "transform.map"
    label = "Set / map fields"
    category = "Transform"
    icon = "shuffle"
    streams_items = True
    description = "Set fields on each item from literals, expressions or templates."
    docs = (
        "For each item, sets every listed field.\n\n"
        "* **Name** may be a dot path (`customer.name`); missing objects are created.\n"
        "* **Value** is a literal, a template (`Hello {{ $item.first }}`), or exactly one "
        "`{{ expression }}`, which keeps the result's type (numbers stay numbers).\n"
        "* Expressions see the item as it arrived (`$item`), not fields set earlier in this list.\n"
        "* **Keep other fields** off: items hold only the fields listed here."
    )
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "fields": {
                "type": "array",
                "title": "Fields",
                "default": [],
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {
                            "type": "string",
                            "minLength": 1,
                            "title": "Field",
                            "description": "Dot path of the field to set, e.g. customer.name.",
                        },
                        "value": {
                            "title": "Value",
                            "description": "A literal, or a template with {{ expression }}.",
                            "x-expression": True,
                        },
                    },
                    "required": ["name"],
                    "additionalProperties": False,
                },
            },
            "keep_other_fields": {
                "type": "boolean",
                "title": "Keep other fields",
                "description": "Off: output items hold only the fields set here.",
                "default": True,
            },
        },
        "additionalProperties": False,
    }

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        seen: set[str] = set()
        findings = []
        for i, spec in enumerate(config.get("fields") or []):
            name = spec.get("name") if isinstance(spec, dict) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                findings.append((f"fields.{i}.name", f"Field {name!r} is set twice; remove one."))
            if any(not part for part in name.split(".")):
                findings.append((f"fields.{i}.name", f"Field {name!r} has an empty part; check the dots."))
            seen.add(name)
        return findings

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        fields = [(f["name"], f.get("value")) for f in self.config.get("fields") or []]
        keep = self.config.get("keep_other_fields", True)
        out = ItemBuffer()
        for _, item, bindings in item_bindings(ctx, require_main(inputs)):
            new = dict(item) if keep else {}
            for name, value in fields:
                set_path(new, name, render_template(value, bindings))
            out.append(new)
        return {"main": out.result()}
