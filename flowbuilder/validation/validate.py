"""validate_document: every check, in an order where cheap refusals come first. Never raises."""

from __future__ import annotations

from typing import Any, Protocol

from flowbuilder.core.gc_pause import gc_paused
from flowbuilder.nodes.base import BaseNode

from . import graph_checks, node_checks
from .document_schema import schema_findings
from .findings import Finding
from .groups import group_findings
from .size_limits import size_findings


class TypeLookup(Protocol):
    def get(self, type_id: str) -> type[BaseNode] | None: ...


def _default_registry() -> TypeLookup:
    from flowbuilder.nodes.registry import load_registry  # lazy: importing builtins costs time

    return load_registry()


def _well_formed(entries: Any, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """Entries usable by the graph checks; the schema findings already describe the others."""
    if not isinstance(entries, list):
        return []
    return [
        e
        for e in entries
        if isinstance(e, dict) and all(isinstance(e.get(k), str) and e[k] for k in required)
    ]


def validate_document(doc: Any, registry: TypeLookup | None = None) -> list[Finding]:
    """All problems in a flow document, each pinned to a node, edge or field. Never raises."""
    try:
        with gc_paused():
            return _validate(doc, registry)
    except Exception as exc:  # a bug in a check must not turn a save into a server error
        return [
            Finding(
                "validation_failed",
                f"The flow could not be fully checked ({type(exc).__name__}: {exc}). "
                "Report this; meanwhile fix any other problems shown.",
            )
        ]


def _validate(doc: Any, registry: TypeLookup | None) -> list[Finding]:
    if not isinstance(doc, dict):
        return [Finding("document_type", "The flow document must be a JSON object with nodes and edges.")]
    findings = size_findings(doc)
    if any(f.code != "not_json" for f in findings):
        return findings  # too big to check further at a reasonable cost
    findings += schema_findings(doc)
    registry = registry if registry is not None else _default_registry()

    nodes = _well_formed(doc.get("nodes"), ("id", "type"))
    edges = _well_formed(doc.get("edges"), ("id", "source", "target"))
    findings += graph_checks.duplicate_id_findings(nodes, "node")
    findings += graph_checks.duplicate_id_findings(edges, "edge")

    by_id: dict[str, dict[str, Any]] = {}
    classes: dict[str, type[BaseNode] | None] = {}
    for node in nodes:
        by_id.setdefault(node["id"], node)
        classes.setdefault(node["id"], None)
    for node in by_id.values():
        classes[node["id"]] = node_cls = registry.get(node["type"])
        if node_cls is None:
            findings.append(
                Finding(
                    "unknown_node_type",
                    f"Node type {node['type']!r} does not exist (was a connector removed?). "
                    "Replace the node or install the connector.",
                    node_id=node["id"],
                    field="type",
                )
            )
            continue
        config = node.get("config", {})
        if not isinstance(config, dict):
            continue  # reported by the document schema
        findings += node_checks.config_findings(node["id"], node_cls, config)
        findings += node_checks.extra_findings(node["id"], node_cls, config)
        findings += node_checks.expression_findings(node["id"], node_cls, config)
        findings += _compensation_findings(node, registry)

    edge_problems, _sound = graph_checks.edge_findings(edges, by_id, classes)
    findings += edge_problems
    findings += graph_checks.trigger_findings(list(by_id.values()), classes)
    connected = [e for e in edges if e["source"] in by_id and e["target"] in by_id]
    findings += graph_checks.cycle_findings(list(by_id), connected)
    findings += group_findings(doc, set(by_id))
    return findings


def _compensation_findings(node: dict[str, Any], registry: TypeLookup) -> list[Finding]:
    """A node's undo step: an existing, non-trigger node type with a valid config."""
    compensation = node.get("compensation")
    if not isinstance(compensation, dict) or not isinstance(compensation.get("type"), str):
        return []  # absent, or reported by the document schema
    undo_cls = registry.get(compensation["type"])
    if undo_cls is None or undo_cls.is_trigger:
        return [
            Finding(
                "unknown_compensation_type",
                f"The undo step's type {compensation['type']!r} is not an action node type; pick one from "
                "the palette (e.g. a connector's delete or void action).",
                node_id=node["id"],
                field="compensation.type",
            )
        ]
    config = compensation.get("config") or {}
    if not isinstance(config, dict):
        return []
    return [
        Finding(f.code, f"Undo step: {f.message}", node_id=f.node_id, field=f"compensation.config.{f.field}")
        if f.field
        else f
        for f in node_checks.config_findings(node["id"], undo_cls, config)
        + node_checks.expression_findings(node["id"], undo_cls, config)
    ]
