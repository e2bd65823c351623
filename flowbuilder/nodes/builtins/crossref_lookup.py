"""Look up a linked record's id in the cross-reference store (no call to any external system).

``sync.lookup_crossref`` answers "which NetSuite project is this Kantata workspace?" from the links that
``sync.upsert_crossref`` recorded, so later flows (billing, cash) can find the records an earlier flow
created without a shared external id field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, Port, PortItems
from ..expressions import render_template
from ._helpers import item_bindings, require_main, set_path

_NAME = {"type": "string", "minLength": 1, "maxLength": 64}


class LookupCrossref(BaseNode):
    type = "sync.lookup_crossref"
    label = "Look up cross-reference"
    category = "Flow"
    icon = "link"
    description = "Find the id another system has for this record (from earlier syncs)."
    docs = (
        "For each item, looks up the **Target system**'s id of the record that is **Source id** in the "
        "**Source system** (the links `Upsert via cross-reference` recorded for this **Entity**), and "
        "writes it to **Write id to field**.\n\n"
        "Items with no link leave on **missing** (leave it unconnected to drop them), or stay on "
        "**main** with the field set to null when **When not linked** is `keep`."
    )
    outputs = (Port("main", "Linked"), Port("missing", "Not linked"))
    config_schema: ClassVar[dict] = {
        "type": "object",
        "required": ["entity", "source_system", "source_id", "target_system", "target_field"],
        "additionalProperties": False,
        "properties": {
            "entity": {**_NAME, "title": "Entity", "description": "customer, project, invoice, ..."},
            "source_system": {**_NAME, "title": "Source system", "description": "e.g. kantata"},
            "source_id": {
                "type": "string",
                "title": "Source id",
                "minLength": 1,
                "description": "The record's id in the source system, e.g. {{ $item.workspace_id }}",
                "x-expression": True,
            },
            "target_system": {**_NAME, "title": "Target system", "description": "e.g. netsuite"},
            "target_field": {
                "type": "string",
                "title": "Write id to field",
                "minLength": 1,
                "description": "Dot path on the item, e.g. netsuite_project_id.",
            },
            "on_missing": {
                "type": "string",
                "title": "When not linked",
                "enum": ["missing_port", "keep"],
                "default": "missing_port",
            },
        },
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        out: dict[str, list[dict[str, Any]]] = {"main": [], "missing": []}
        if not items:
            return out
        if ctx.crossref is None:
            raise NodeError("Cross-references are not available here.", hint="Run the flow through a worker.")
        keep = self.config.get("on_missing") == "keep"
        for _, item, bindings in item_bindings(ctx, items):
            source_id = render_template(self.config["source_id"], bindings)
            found = None
            if source_id not in (None, ""):
                found = ctx.crossref.lookup(
                    self.config["entity"],
                    self.config["source_system"],
                    str(source_id),
                    self.config["target_system"],
                )
            new = dict(item)
            set_path(new, self.config["target_field"], found)
            out["main" if found is not None or keep else "missing"].append(new)
        return out
