"""The execution plan: what the executor needs to know about a flow, computed once at publish."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    source: str
    source_port: str
    target: str
    target_port: str
    edge_id: str


@dataclass(frozen=True)
class NodeSpec:
    type: str
    label: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    retry: dict[str, float] = field(default_factory=lambda: {"max_attempts": 1, "backoff_s": 1.0})
    on_error: str = "fail"
    disabled: bool = False
    # {"type", "config", "retry"}: the node that undoes this one's effect in a saga; None if nothing to undo.
    compensation: dict[str, Any] | None = None


@dataclass
class ExecutionPlan:
    generations: list[list[str]]  # nodes that may run in parallel, in dependency order
    order: list[str]  # one topological order (the generations, flattened)
    nodes: dict[str, NodeSpec]
    incoming: dict[str, list[Link]]
    outgoing: dict[str, list[Link]]
    triggers: list[str]

    def predecessors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(link.source for link in self.incoming.get(node_id, [])))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, cached on FlowVersion.plan."""
        return {
            "generations": [list(g) for g in self.generations],
            "order": list(self.order),
            "nodes": {nid: asdict(spec) for nid, spec in self.nodes.items()},
            "incoming": {nid: [asdict(link) for link in links] for nid, links in self.incoming.items()},
            "outgoing": {nid: [asdict(link) for link in links] for nid, links in self.outgoing.items()},
            "triggers": list(self.triggers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionPlan:
        return cls(
            generations=[list(g) for g in data["generations"]],
            order=list(data["order"]),
            nodes={nid: NodeSpec(**spec) for nid, spec in data["nodes"].items()},
            incoming={nid: [Link(**link) for link in links] for nid, links in data["incoming"].items()},
            outgoing={nid: [Link(**link) for link in links] for nid, links in data["outgoing"].items()},
            triggers=list(data["triggers"]),
        )
