"""Every connector action appears in the palette as a node type.

Type id ``<category>.<connector key>.<action key>`` (lowercased), e.g. ``crm.salesforce.query``. The
config schema is the action's input schema plus a required ``connection`` field the editor renders as
a picker (``"x-connection": <connector key>``). At run time the node asks the executor for the
connection's runtime handle (``ctx.connection(id)``, a :class:`connectors.base.ConnectionRuntime` or
anything with ``connector_key`` and ``run_action(action_key, payload, *, idempotency_key)``), renders
``{{ }}`` templates per item, and runs the action per item or in batches as the action declares. A read
that pages is streamed (``stream_action``, where the handle has it): its records go into an ItemBuffer
page by page, so a 100,000-record query holds one page in memory and its output spools to disk.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from connectors.base import Action, Connector, RecordRef, Trigger
from connectors.errors import ConnectorError
from connectors.written import with_version, written_records
from flowbuilder.core.errors import NodeError, RetryableNodeError
from flowbuilder.core.item_spool import ItemBuffer
from flowbuilder.core.registry import Registry

from .base import BaseNode, Items, NodeContext, PortItems

CONNECTION_FIELD = "connection"
DEFAULT_RETRY = {"max_attempts": 3, "backoff_s": 2.0}
HEARTBEAT_EVERY = 1000  # records of a streamed read between heartbeats (a page fetch also beats)


def node_type_id(connector: Connector, action: Action) -> str:
    return f"{connector.category}.{connector.key}.{action.key}".lower()


def node_config_schema(connector: Connector, action: Action) -> dict[str, Any]:
    schema = copy.deepcopy(action.input_schema)
    properties = {
        CONNECTION_FIELD: {
            "type": "string",
            "title": "Connection",
            "minLength": 1,
            "x-connection": connector.key,
        },
        **schema.get("properties", {}),
    }
    schema["properties"] = properties
    schema["required"] = [CONNECTION_FIELD] + [r for r in schema.get("required", []) if r != CONNECTION_FIELD]
    return schema


def _has_template(value: Any) -> bool:
    # A cheap pre-check: only configs that contain "{{" need the expression engine at all.
    return "{{" in json.dumps(value, default=str)


def _to_node_error(exc: ConnectorError) -> NodeError:
    """Keep message and hint; ``retryable`` and ``retry_after`` decide how the executor retries."""
    if exc.retryable:
        return RetryableNodeError(exc.message, hint=exc.hint, retry_after=exc.retry_after)
    return NodeError(exc.message, hint=exc.hint)


class ConnectorActionNode(BaseNode):
    """Base of the generated node classes; ``connector`` and ``action`` are set per subclass."""

    connector: Connector
    action: Action
    category = "Generic"
    streams_items = True

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = inputs.get("main") or []
        if not items:
            return {"main": []}
        try:
            handle = self._handle(ctx)
            # Every item's input is rendered before the first call: a template that fails on the 500th item
            # fails the node before it wrote anything. A long input's rendered inputs spool to disk.
            rendered = ItemBuffer()
            rendered.extend(self._params(ctx, item, index) for index, item in enumerate(items))
            params = rendered.result()
            if self.action.mode == "batch":
                return {"main": self._run_batches(ctx, handle, params)}
            return {"main": self._run_items(ctx, handle, params)}
        except ConnectorError as exc:
            raise _to_node_error(exc) from exc

    def _handle(self, ctx: NodeContext) -> Any:
        connection_id = str(self.config.get(CONNECTION_FIELD) or "")
        if not connection_id:
            raise NodeError("No connection selected.", hint="Pick a connection for this step.")
        if ctx.connection is None:
            raise NodeError("Connections are not available in this context.")
        handle = ctx.connection(connection_id)
        key = getattr(handle, "connector_key", None)
        if key != self.connector.key:
            raise NodeError(
                f"Connection {connection_id} is for {key!r}, not {self.connector.name}.",
                hint="Pick a connection of the right system.",
            )
        return handle

    def _params(self, ctx: NodeContext, item: Mapping[str, Any], index: int) -> dict[str, Any]:
        params = {k: v for k, v in self.config.items() if k != CONNECTION_FIELD}
        if not _has_template(params):
            return params
        from .expressions import render_template  # lazy: only configs with templates need it

        rendered = render_template(params, ctx.expression_context(dict(item), index))
        if not isinstance(rendered, dict):
            raise NodeError("Rendered action input is not an object.", hint="Check the templates.")
        return rendered

    def _run_items(self, ctx: NodeContext, handle: Any, params: Sequence[dict[str, Any]]) -> Items:
        out = ItemBuffer()  # a long result goes to disk a chunk at a time, not into one list
        stream = None if self.action.writes else getattr(handle, "stream_action", None)
        for index, p in enumerate(params):
            if stream is not None:
                # A paging read: each page is fetched as the buffer takes the previous one's records.
                for n, record in enumerate(_iter_items(stream(self.action.key, p)), 1):
                    out.append(record)
                    if n % HEARTBEAT_EVERY == 0:
                        ctx.heartbeat()
                ctx.heartbeat()
                continue
            key = ctx.idempotency_key(index) if self.action.writes else None
            result = handle.run_action(self.action.key, p, idempotency_key=key)
            mark_writes(ctx, handle, self.action, p, result)
            out.extend(_as_items(result))
            ctx.heartbeat()
        return out.result()

    def _run_batches(self, ctx: NodeContext, handle: Any, params: Sequence[dict[str, Any]]) -> Items:
        out = ItemBuffer()
        size = self.action.batch_size
        for start in range(0, len(params), size):
            # Keyed by the first item of the batch: stable across replays as long as the input is.
            key = ctx.idempotency_key(start) if self.action.writes else None
            batch = params[start : start + size]  # a spooled list reads its chunks in order
            result = handle.run_action(self.action.key, batch, idempotency_key=key)
            mark_writes(ctx, handle, self.action, batch, result)
            out.extend(_as_items(result))
            ctx.heartbeat()
        return out.result()


def mark_writes(ctx: NodeContext, handle: Any, action: Action, params: Any, result: Any) -> None:
    """Remember the records a write changed (echo suppression: their change events are ours)."""
    if not action.writes or ctx.crossref is None:
        return
    records = written_records(action, params, result)
    if records:
        ctx.crossref.mark_written(handle.connector_key, _with_versions(handle, records))


def _with_versions(handle: Any, records: list[RecordRef]) -> list[RecordRef]:
    """Ask the system for the versions its write answer left out (Salesforce: one query per 200 records),
    so the mark is exact. If it cannot say, the mark keeps only our write time (matched within seconds)."""
    fetch = getattr(handle, "record_versions", None)
    missing: dict[str, list[str]] = {}
    for ref in records:
        if not ref.version:
            missing.setdefault(ref.object, []).append(ref.id)
    if fetch is None or not missing:
        return records
    found: dict[str, dict[str, str]] = {}
    for obj, ids in missing.items():
        try:
            found[obj] = fetch(obj, ids)
        except ConnectorError:  # the write stands; only its mark is less exact
            continue
    return [
        with_version(ref, found[ref.object][ref.id]) if ref.id in found.get(ref.object, {}) else ref
        for ref in records
    ]


def _as_items(result: Any) -> Items:
    if result is None:
        return []
    if isinstance(result, Mapping):
        return [dict(result)]
    if isinstance(result, list):
        return [dict(r) if isinstance(r, Mapping) else {"value": r} for r in result]
    return [{"value": result}]


def _iter_items(result: Any) -> Iterator[dict[str, Any]]:
    """Items of a result that may be an iterator of records (read lazily, one page at a time)."""
    if isinstance(result, Iterator):
        return (dict(r) if isinstance(r, Mapping) else {"value": r} for r in result)
    return iter(_as_items(result))


def make_node_class(connector: Connector, action: Action) -> type[BaseNode]:
    """Build the node type for one connector action (a subclass; class attributes only, no I/O)."""
    type_id = node_type_id(connector, action)
    schema = node_config_schema(connector, action)
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": action.description or f"{connector.name}: {action.name}",
        "type": type_id,
        "label": f"{connector.name}: {action.name}",
        "category": connector.category,
        "icon": action.icon or connector.icon,
        "description": action.description,
        "docs": action.docs or connector.docs,
        "config_schema": schema,
        "side_effects": bool(action.writes),
        "default_retry": dict(DEFAULT_RETRY),
        # Connector fields are templates: plain text stays text (a SOQL query is not JSONata); any
        # {{ expr }} inside is validated on save like every template.
        "expression_fields": (),
        "connector": connector,
        "action": action,
    }
    class_name = "".join(part.title() for part in type_id.replace("_", ".").split(".")) + "Node"
    return type(class_name, (ConnectorActionNode,), attrs)


# --- polling triggers ------------------------------------------------------------------------------

INTERVAL_FIELD = "interval_s"
MIN_INTERVAL_S = 1
# Node config keys that belong to the node (scheduling, connection), not to the trigger's poll config.
TRIGGER_NODE_FIELDS = (CONNECTION_FIELD, INTERVAL_FIELD)


def trigger_node_type_id(connector: Connector, trigger: Trigger) -> str:
    return f"{connector.category}.{connector.key}.{trigger.key}".lower()


def trigger_config_schema(connector: Connector, trigger: Trigger) -> dict[str, Any]:
    schema = copy.deepcopy(trigger.config_schema)
    schema["properties"] = {
        CONNECTION_FIELD: {
            "type": "string",
            "title": "Connection",
            "minLength": 1,
            "x-connection": connector.key,
        },
        INTERVAL_FIELD: {
            "type": "integer",
            "title": "Poll every (seconds)",
            "minimum": MIN_INTERVAL_S,
            "maximum": 86_400,
            "default": trigger.default_interval_s,
        },
        **schema.get("properties", {}),
    }
    schema["required"] = [CONNECTION_FIELD] + [r for r in schema.get("required", []) if r != CONNECTION_FIELD]
    return schema


class ConnectorTriggerNode(BaseNode):
    """Base of the generated polling-trigger node classes; ``connector`` and ``trigger`` set per subclass.

    The scheduler (``flowbuilder.triggers``) polls the connection and starts a run with the new records
    as its input items; in the run this node only passes them on. Run by hand, it passes the items given.
    """

    connector: Connector
    trigger: Trigger
    is_trigger = True
    inputs = ()

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        return {"main": list(inputs.get("main") or [])}

    @classmethod
    def poll_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """The node config without the node's own fields: what ``Trigger.poll`` receives."""
        return {k: v for k, v in config.items() if k not in TRIGGER_NODE_FIELDS}

    @classmethod
    def interval_s(cls, config: Mapping[str, Any]) -> int:
        value = config.get(INTERVAL_FIELD) or cls.trigger.default_interval_s
        return max(MIN_INTERVAL_S, int(value))


def make_trigger_node_class(connector: Connector, trigger: Trigger) -> type[BaseNode]:
    type_id = trigger_node_type_id(connector, trigger)
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": trigger.description or f"{connector.name}: {trigger.name}",
        "type": type_id,
        "label": f"{connector.name}: {trigger.name}",
        # Grouped with the system's actions (is_trigger marks it); the schema is the connector's own.
        "category": connector.category,
        "icon": connector.icon,
        "description": trigger.description or f"Poll {connector.name} and start a run with new records.",
        "docs": (
            f"Polls {connector.name} every **Poll every** seconds for new or changed records and starts "
            "one run with what it found (nothing found: no run). The position reached (the cursor) is "
            "saved with the run, so no record is lost or delivered twice.\n\n"
            "Republishing with a different connection or trigger setting starts from scratch."
        ),
        "config_schema": trigger_config_schema(connector, trigger),
        "connector": connector,
        "trigger": trigger,
    }
    class_name = "".join(part.title() for part in type_id.replace("_", ".").split(".")) + "TriggerNode"
    return type(class_name, (ConnectorTriggerNode,), attrs)


def register_connector_nodes(
    registry: Registry[str, type[BaseNode]], connectors: Iterable[Connector] | None = None
) -> None:
    """Register a node type per action and per polling trigger of every connector (default: the
    loaded, frozen registry)."""
    if connectors is None:
        from connectors.registry import load_connectors

        connectors = list(load_connectors())
    for connector in connectors:
        for action in connector.actions:
            registry.register(make_node_class(connector, action))
        for trigger in connector.triggers:
            registry.register(make_trigger_node_class(connector, trigger))
