"""The node runtime contract: what a node type declares and how the executor calls it.

Data between nodes is a list of JSON objects ("items") per port. A node never touches the ORM: the
executor hands it a :class:`NodeContext` with everything it may use (expressions, the safe HTTP client,
connections resolved to opaque handles, the outputs of upstream nodes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, ClassVar, Protocol

from connectors.base import RecordRef

from .expressions import Deferred

Item = dict[str, Any]
Items = list[Item]
PortItems = dict[str, Items]  # port name -> items


@dataclass(frozen=True)
class Port:
    name: str
    label: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label or self.name}


MAIN = (Port("main"),)


class CrossrefStore(Protocol):
    """Cross-references (SyncLink) of the run's organisation, as plain strings (``ctx.crossref``)."""

    def lookup(self, entity: str, source_system: str, source_id: str, target_system: str) -> str | None:
        """The target system's id of the record linked to ``source_system:source_id``, if any."""
        ...

    def link(
        self, entity: str, source_system: str, source_id: str, target_system: str, target_id: str
    ) -> str:
        """Record that both ids are the same ``entity``; returns the canonical id."""
        ...

    def upsert(
        self,
        entity: str,
        source_system: str,
        source_id: str,
        target_system: str,
        create: Callable[[], str],
        update: Callable[[str], Any],
    ) -> dict[str, Any]:
        """Race-safe: ``update(target_id)`` if linked, else ``create() -> new id`` and link it.
        Returns ``{"target_id", "created", "canonical_id"}``."""
        ...

    def match(
        self,
        entity: str,
        source_system: str,
        source_id: str,
        target_system: str,
        *,
        source: dict[str, Any],
        candidates: list[dict[str, Any]],
        node_id: str = "",
        item_index: int | None = None,
    ) -> dict[str, Any]:
        """Place an unlinked source record against the target system's ``candidates`` (duplicate
        detection): ``{"outcome": "linked", "target_id"}`` (an exact match, now linked, or a person's
        "link"), ``{"outcome": "create"}`` (no match, or a person's "create new") or ``{"outcome":
        "review", "review_id"}`` (near matches: held for a person)."""
        ...

    def mark_written(self, system: str, records: list[RecordRef]) -> None:
        """Remember records a connector write changed, so the change events they cause in ``system`` are
        recognised as ours (echo suppression) instead of starting flows again."""
        ...


class Suspend(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a node to park its run: the worker is freed and the node runs again later.

    ``until`` is when it runs again on its own (None: only when something arrives, e.g. a callback or a
    person's decision). ``state`` is the node's own memory, handed back in ``ctx.resume["state"]``.
    """

    def __init__(self, *, until: datetime | None, state: Mapping[str, Any] | None = None, reason: str = ""):
        super().__init__(reason or "waiting")
        self.until = until
        self.state = dict(state or {})
        self.reason = reason


@dataclass(frozen=True)
class ApprovalSpec:
    """What an approval node asks a person (``ctx.request_approval``)."""

    title: str
    items: list[dict[str, Any]]
    columns: list[str]
    totals: dict[str, Any]
    assignee_roles: list[str]
    assignee_users: list[str]
    editable_fields: list[str]
    due_at: datetime | None


@dataclass
class NodeContext:
    """What a running node may use. Built by the executor; plain data plus a few callables."""

    run_id: int
    node_id: str
    organisation_id: int
    attempt: int = 1
    correlation_id: str = ""
    # Outputs of nodes that already ran in this run: node id -> port -> items (for $node.<id>.items).
    node_outputs: Mapping[str, PortItems] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    run_info: Mapping[str, Any] = field(default_factory=dict)
    # Returns a ready-to-use safe HTTP client (connectors.http.client.SafeClient) for an optional
    # connection id; the executor wires credentials and the organisation's egress allow-list.
    http_client: Callable[..., Any] | None = None
    # Returns a connector action runner for a connection id (see connectors.base); None in pure tests.
    connection: Callable[[str], Any] | None = None
    # Runs a published flow by id with items and returns its output items (sub-flow node).
    run_subflow: Callable[[int, Items], Items] | None = None
    # Called by long-running nodes so the executor can keep its heartbeat fresh.
    heartbeat: Callable[[], None] = lambda: None
    # The organisation's cross-reference store (a CrossrefStore); None in pure tests.
    crossref: Any = None
    # Set when a parked node runs again: {"reason": "timer"|"callback"|"decision", "state": {...},
    # "payload": what arrived (callback body, decision)}. None on a node's first run.
    resume: Mapping[str, Any] | None = None
    # The organisation's time zone (waits "until 9:00" mean the customer's 9:00); read only when asked.
    timezone: Callable[[], tzinfo] | None = None
    # The URL an outside system calls to resume this node when it waits for a callback.
    resume_url: Callable[[], str] | None = None
    # The approvals of this run and node (open(spec) -> id, escalate(...), expire(id)); None in pure tests.
    approvals: Any = None

    def idempotency_key(self, item_index: int = 0) -> str:
        """Stable per (run, node, item): a replay of the same node sends the same key."""
        return f"fb-{self.run_id}-{self.node_id}-{item_index}"

    def expression_context(self, item: Item | None, index: int = 0) -> dict[str, Any]:
        """The plain-JSON bindings an expression sees."""
        outputs = self.node_outputs

        def upstream(text: str) -> dict[str, Any]:
            # Only the nodes whose id the expression's text contains: reading an output may be a query.
            return {nid: {"items": outputs[nid].get("main", [])} for nid in list(outputs) if nid in text}

        return {
            "item": item if item is not None else {},
            "index": index,
            "node": Deferred(upstream),
            "run": dict(self.run_info),
            "vars": dict(self.variables),
        }


class BaseNode:
    """A node type. Subclasses declare metadata as class attributes and implement :meth:`run`.

    ``run`` receives the node's config (already validated against ``config_schema``) through the
    instance and the items per input port; it returns items per output port. Raise
    :class:`flowbuilder.core.errors.NodeError` (permanent) or ``RetryableNodeError`` (passing).
    """

    type: ClassVar[str]
    label: ClassVar[str]
    category: ClassVar[str] = "Transform"  # Trigger, Transform, Logic, Flow, HTTP, CRM, PSA, ERP, ...
    icon: ClassVar[str] = "box"
    description: ClassVar[str] = ""
    docs: ClassVar[str] = ""  # markdown help shown in the inspector
    inputs: ClassVar[tuple[Port, ...]] = MAIN
    outputs: ClassVar[tuple[Port, ...]] = MAIN
    config_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    # Pure nodes are deterministic over their inputs: the executor may batch their checkpoints and
    # recompute them on resume. Nodes that call the outside world set this to True.
    side_effects: ClassVar[bool] = False
    is_trigger: ClassVar[bool] = False
    always_runs: ClassVar[bool] = False  # run even when every input arrived empty or skipped
    default_retry: ClassVar[dict[str, float]] = {"max_attempts": 1, "backoff_s": 1.0}
    # Config keys whose string values are JSONata expressions (or {{ }} templates): validated on save.
    expression_fields: ClassVar[tuple[str, ...]] = ()
    # Output ports whose items are exceptions for a person: each item carries ``exception`` (``category``,
    # ``problem``, ``what_to_fix``) and the engine records it in the failure inbox, even though the node
    # succeeded (see ``execution.failure_records.for_exceptions``).
    exception_ports: ClassVar[tuple[str, ...]] = ()
    # Each run raises every exception that still holds (the node reads the whole state, as a billing plan
    # does): an open exception of this node that a later run does not raise again has been fixed at the
    # source, and the engine clears it from the inbox (``failure_records.clear_absent``).
    exceptions_complete: ClassVar[bool] = False
    # The node reads its input items only by iterating them, in order (a spooled list may be iterated again:
    # it is re-read from disk), and collects its output in an ItemBuffer: a long input then arrives spooled
    # (flowbuilder/core/item_spool.py) and is read a chunk at a time. Other nodes get plain lists.
    streams_items: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        # Construction does no I/O: it only stores config.
        self.config = dict(config)

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def output_ports(cls, config: Mapping[str, Any]) -> tuple[Port, ...]:
        """The output ports for this config. Static by default; a switch derives them from its rules.

        Validation and planning ask this (not ``outputs``); the ``error`` port of an ``on_error:
        error_port`` node is added by them, not here.
        """
        return cls.outputs

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Checks beyond JSON Schema: a list of (config field, message). Default: none."""
        return []

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The palette entry served at /api/node-types/."""
        return {
            "type": cls.type,
            "label": cls.label,
            "category": cls.category,
            "icon": cls.icon,
            "description": cls.description,
            "docs": cls.docs,
            "inputs": [p.as_dict() for p in cls.inputs],
            "outputs": [p.as_dict() for p in cls.outputs],
            "config_schema": cls.config_schema,
            "side_effects": cls.side_effects,
            "is_trigger": cls.is_trigger,
            "default_retry": cls.default_retry,
            "expression_fields": list(cls.expression_fields),
        }
