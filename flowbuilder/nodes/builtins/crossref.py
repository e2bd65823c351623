"""Upsert through the cross-reference store: create the record once, update it ever after.

Per item: find the target system's id linked to (entity, source system, source id). Linked: run the
connection's *update* action with that id. Not linked: run the *create* action and link the new id. The
store serialises concurrent upserts of one source record, so a replay, a retry or a duplicate webhook
never creates a second customer for one opportunity.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from connectors.errors import ConnectorError
from flowbuilder.core.errors import FlowbuilderError, NodeError

from ..base import BaseNode, NodeContext, PortItems
from ..connector_nodes import _to_node_error, mark_writes
from ..expressions import render_template
from ._helpers import get_path, item_bindings, require_main, set_path

_NAME = {"type": "string", "minLength": 1, "maxLength": 64}


def _write(ctx: NodeContext, handle: Any, action_key: str, params: Any, key: str) -> Any:
    """Run a write action and mark the records it changed (their change events are ours)."""
    result = handle.run_action(action_key, params, idempotency_key=key)
    connector = getattr(handle, "connector", None)  # a test double may have none
    if connector is not None:
        mark_writes(ctx, handle, connector.action(action_key), params, result)
    return result


def _first_record(result: Any) -> dict[str, Any]:
    if isinstance(result, list):
        result = result[0] if result else {}
    if isinstance(result, Mapping):
        return dict(result)
    return {"value": result}


class UpsertCrossref(BaseNode):
    type = "sync.upsert_crossref"
    label = "Upsert via cross-reference"
    category = "Flow"
    icon = "link"
    description = "Create the record in the target system once, update it afterwards (no duplicates)."
    docs = (
        "For each item, looks up the target system's id linked to **Source id** (the cross-reference "
        "store, per organisation and entity).\n\n"
        "* Linked: runs the **Update action** with the values, plus the linked id in **Update id field**.\n"
        "* Not linked: runs the **Create action** with the values, reads the new id at **Id path** of "
        "its answer, and links it.\n\n"
        "Concurrent runs for the same source record wait for each other, so a replay or a retried run "
        "updates instead of creating a second record. Writes carry an idempotency key."
    )
    side_effects = True
    default_retry: ClassVar[dict[str, float]] = {"max_attempts": 3, "backoff_s": 2.0}
    config_schema: ClassVar[dict] = {
        "type": "object",
        "required": ["connection", "entity", "source_system", "source_id", "target_system", "create_action"],
        "additionalProperties": False,
        "properties": {
            "connection": {
                "type": "string",
                "title": "Connection (target system)",
                "minLength": 1,
                "x-widget": "connection-picker",
            },
            "entity": {**_NAME, "title": "Entity", "description": "customer, project, invoice, ..."},
            "source_system": {**_NAME, "title": "Source system", "description": "e.g. salesforce"},
            "source_id": {
                "type": "string",
                "title": "Source id",
                "minLength": 1,
                "description": "The record's id in the source system, e.g. {{ $item.Id }}",
                "x-expression": True,
            },
            "target_system": {**_NAME, "title": "Target system", "description": "e.g. netsuite"},
            "create_action": {"type": "string", "title": "Create action", "minLength": 1},
            "update_action": {
                "type": "string",
                "title": "Update action",
                "description": "Empty: a linked record is left as it is.",
                "default": "",
            },
            "values": {
                "type": "object",
                "title": "Values",
                "description": "Action input; strings may use {{ }} templates.",
                "default": {},
                "x-expression": True,
            },
            "id_path": {
                "type": "string",
                "title": "Id path",
                "description": "Dot path to the new record's id in the create action's answer.",
                "default": "id",
                "minLength": 1,
            },
            "update_id_field": {
                "type": "string",
                "title": "Update id field",
                "description": "Dot path in the update action's input that receives the linked id.",
                "default": "id",
                "minLength": 1,
            },
        },
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        if not items:
            return {"main": []}
        if ctx.crossref is None or ctx.connection is None:
            raise NodeError("Cross-references are not available here.", hint="Run the flow through a worker.")
        out: list[dict[str, Any]] = []
        try:
            handle = ctx.connection(str(self.config["connection"]))
            for index, _, bindings in item_bindings(ctx, items):
                out.append(self._upsert(ctx, handle, index, bindings))
                ctx.heartbeat()
        except ConnectorError as exc:
            raise _to_node_error(exc) from exc
        except NodeError:
            raise
        except FlowbuilderError as exc:  # a link conflict or a missing id from the store
            raise NodeError(exc.message, hint=exc.hint, field=exc.field) from exc
        return {"main": out}

    def _upsert(self, ctx: NodeContext, handle: Any, index: int, bindings: dict[str, Any]) -> dict[str, Any]:
        source_id = render_template(self.config["source_id"], bindings)
        if source_id is None or str(source_id) == "":
            raise NodeError(f"Item {index}: the source id is empty.", field="source_id")
        values = render_template(copy.deepcopy(self.config.get("values") or {}), bindings)
        if not isinstance(values, dict):
            raise NodeError("Values must render to an object.", field="values")
        answer: dict[str, Any] = {}
        key = ctx.idempotency_key(index)
        link = ctx.crossref.upsert(
            self.config["entity"],
            self.config["source_system"],
            str(source_id),
            self.config["target_system"],
            partial(self._create, ctx, handle, values, key, answer),
            partial(self._update, ctx, handle, values, key, answer),
        )
        return {
            "entity": self.config["entity"],
            "source_system": self.config["source_system"],
            "source_id": str(source_id),
            "target_system": self.config["target_system"],
            **link,
            "record": answer.get("record"),
        }

    def _create(self, ctx: NodeContext, handle: Any, values: dict, key: str, answer: dict) -> str:
        record = _first_record(_write(ctx, handle, self.config["create_action"], values, key))
        answer["record"] = record
        new_id = get_path(record, self.config.get("id_path") or "id")
        if new_id is None or new_id == "":
            raise NodeError(
                f"The create action answered without an id at {self.config.get('id_path') or 'id'!r}.",
                field="id_path",
                hint="Set Id path to where the new record's id is in the answer.",
            )
        return str(new_id)

    def _update(
        self, ctx: NodeContext, handle: Any, values: dict, key: str, answer: dict, target_id: str
    ) -> None:
        action = self.config.get("update_action") or ""
        if not action:
            return
        params = dict(values)
        set_path(params, self.config.get("update_id_field") or "id", target_id)
        answer["record"] = _first_record(_write(ctx, handle, action, params, key))
