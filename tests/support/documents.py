"""Flow documents for tests: nodes, edges and the few shapes many suites use (a chain, a webhook flow)."""

from __future__ import annotations

from typing import Any


def node(node_id: str, type_: str, config: dict | None = None, **extra: Any) -> dict:
    return {
        "id": node_id,
        "type": type_,
        "label": node_id,
        "position": {"x": 0, "y": 0},
        "config": config or {},
        **extra,
    }


def edge(source: str, target: str, source_port: str = "main", target_port: str = "main") -> dict:
    return {
        "id": f"{source}-{source_port}-{target}-{target_port}",
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def document(nodes: list[dict], edges: list[dict]) -> dict:
    return {"schema_version": 1, "nodes": nodes, "edges": edges}


def chain(n: int, trigger: str = "trigger.webhook") -> dict:
    """A trigger followed by ``n`` map nodes each adding 1 to ``n`` (the W1 shape)."""
    nodes = [node("t", trigger, {"response_mode": "last_node"} if trigger == "trigger.webhook" else {})]
    edges = []
    prev = "t"
    for i in range(n):
        nid = f"m{i}"
        nodes.append(node(nid, "transform.map", {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]}))
        edges.append(edge(prev, nid))
        prev = nid
    return document(nodes, edges)


def manual_document(n: int = 1) -> dict:
    """A valid flow: a manual trigger and ``n`` map nodes in a chain."""
    return chain(n, trigger="trigger.manual")


def webhook_document(**config: Any) -> dict:
    """A webhook trigger (with ``config``) followed by one map node."""
    return document(
        [node("t", "trigger.webhook", config), node("m", "transform.map", {"fields": []})],
        [edge("t", "m")],
    )
