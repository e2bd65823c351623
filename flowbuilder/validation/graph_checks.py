"""Graph checks: unique ids, edges that point somewhere, ports that exist, triggers, cycles."""

from __future__ import annotations

from collections import Counter
from typing import Any

import networkx as nx

from flowbuilder.nodes.base import BaseNode

from .findings import Finding

MAX_CYCLES_REPORTED = 5


def duplicate_id_findings(entries: list[dict[str, Any]], kind: str) -> list[Finding]:
    counts = Counter(e["id"] for e in entries)
    findings = []
    for entry_id, count in counts.items():
        if count > 1:
            findings.append(
                Finding(
                    f"duplicate_{kind}_id",
                    f"{count} {kind}s share the id {entry_id!r}; give each {kind} its own id.",
                    node_id=entry_id if kind == "node" else None,
                    edge_id=entry_id if kind == "edge" else None,
                )
            )
    return findings


def output_port_names(node: dict[str, Any], node_cls: type[BaseNode]) -> set[str]:
    try:
        names = {p.name for p in node_cls.output_ports(node.get("config") or {})}
    except Exception:  # a broken config; the config findings say why
        names = {p.name for p in node_cls.outputs}
    if node.get("on_error") == "error_port":
        names.add("error")
    return names


def edge_findings(
    edges: list[dict[str, Any]],
    nodes: dict[str, dict[str, Any]],
    classes: dict[str, type[BaseNode] | None],
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Findings for dangling, mis-ported and duplicate edges, plus the edges that are sound."""
    findings: list[Finding] = []
    sound: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str, str], str] = {}
    out_ports_cache: dict[str, set[str]] = {}
    for edge in edges:
        eid, source, target = edge["id"], edge["source"], edge["target"]
        source_port = edge.get("source_port") or "main"
        target_port = edge.get("target_port") or "main"
        missing = [end for end, nid in (("source", source), ("target", target)) if nid not in nodes]
        if missing:
            for end in missing:
                nid = source if end == "source" else target
                findings.append(
                    Finding(
                        "dangling_edge",
                        f"Connection {eid!r} has {end} {nid!r}, which is not a node. Delete the connection.",
                        edge_id=eid,
                        field=end,
                    )
                )
            continue
        ok = True
        source_cls = classes.get(source)
        if source_cls is not None:
            if source not in out_ports_cache:
                out_ports_cache[source] = output_port_names(nodes[source], source_cls)
            if source_port not in out_ports_cache[source]:
                ok = False
                findings.append(_port_finding(eid, source, source_port, out_ports_cache[source], "output"))
        target_cls = classes.get(target)
        if target_cls is not None:
            in_ports = {p.name for p in target_cls.inputs}
            if target_port not in in_ports:
                ok = False
                findings.append(_port_finding(eid, target, target_port, in_ports, "input"))
        key = (source, source_port, target, target_port)
        if key in seen:
            findings.append(
                Finding(
                    "duplicate_edge",
                    f"Connection {eid!r} repeats connection {seen[key]!r}; delete one of them.",
                    edge_id=eid,
                )
            )
            continue
        seen[key] = eid
        if ok:
            sound.append(edge)
    return findings, sound


def _port_finding(eid: str, node_id: str, port: str, valid: set[str], kind: str) -> Finding:
    listed = ", ".join(sorted(valid)) or "none"
    return Finding(
        "unknown_port",
        f"Connection {eid!r} uses {kind} port {port!r} of node {node_id!r}, which has {kind} ports: "
        f"{listed}. Reconnect it to an existing port.",
        node_id=node_id,
        edge_id=eid,
        field="source_port" if kind == "output" else "target_port",
    )


def trigger_findings(nodes: list[dict[str, Any]], classes: dict[str, type[BaseNode] | None]) -> list[Finding]:
    triggers = [n["id"] for n in nodes if (cls := classes.get(n["id"])) is not None and cls.is_trigger]
    if len(triggers) <= 1:
        return []
    return [
        Finding(
            "too_many_triggers",
            f"A flow has at most one trigger; this one has {len(triggers)} ({', '.join(triggers)}). "
            "Keep one and move the others into their own flows.",
            node_id=nid,
        )
        for nid in triggers[1:]
    ]


def _is_acyclic(node_ids: list[str], edges: list[dict[str, Any]]) -> bool:
    """Kahn's algorithm on plain dicts: the common (acyclic) case without building a DiGraph."""
    indegree = dict.fromkeys(node_ids, 0)
    successors: dict[str, list[str]] = {nid: [] for nid in node_ids}
    for edge in edges:
        successors[edge["source"]].append(edge["target"])
        indegree[edge["target"]] += 1
    ready = [nid for nid, degree in indegree.items() if degree == 0]
    seen = 0
    while ready:
        nid = ready.pop()
        seen += 1
        for succ in successors[nid]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    return seen == len(indegree)


def cycle_findings(node_ids: list[str], edges: list[dict[str, Any]]) -> list[Finding]:
    """One finding per node of each cycle, naming the cycle (networkx.find_cycle)."""
    if _is_acyclic(node_ids, edges):
        return []
    graph = nx.DiGraph()
    graph.add_nodes_from(node_ids)
    graph.add_edges_from(
        (e["source"], e["target"], {"id": e["id"]})
        for e in reversed(edges)  # first parallel edge wins
    )
    findings: list[Finding] = []
    for _ in range(MAX_CYCLES_REPORTED):
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            break
        path = [u for u, _v in cycle] + [cycle[0][0]]
        message = (
            f"Cycle: {' -> '.join(path)}. Flows must not loop; remove one of these connections "
            "(use Split into batches to repeat work)."
        )
        for u, v in cycle:
            findings.append(Finding("cycle", message, node_id=u, edge_id=graph.edges[u, v].get("id")))
        graph.remove_edge(*cycle[0][:2])  # break it and look for another
    return findings
