"""A node's input in the run history: what its predecessors output on the linked ports.

Inputs are not stored twice: they are exactly the upstream outputs (or the run input for a first node).
"""

from __future__ import annotations

from collections.abc import Iterable

from flowbuilder.planning import ExecutionPlan

from .models import NodeRun, Run


def node_inputs(run: Run, rows: Iterable[NodeRun]) -> dict[str, dict[str, list]]:
    rows = list(rows)
    try:
        plan = ExecutionPlan.from_dict(run.version.plan)
    except Exception:  # an unreadable plan must not hide the history
        return {}
    outputs = {row.node_id: row.output_items or {} for row in rows}
    pinned = (run.options or {}).get("pinned") or {}
    result: dict[str, dict[str, list]] = {}
    for row in rows:
        links = plan.incoming.get(row.node_id, [])
        if (run.options or {}).get("only_node") == row.node_id and row.node_id in pinned:
            result[row.node_id] = {"main": pinned[row.node_id]}
        elif not links:
            result[row.node_id] = {"main": run.input_items}
        else:
            ports: dict[str, list] = {}
            for link in links:
                source = outputs.get(link.source) or {"main": pinned.get(link.source, [])}
                ports.setdefault(link.target_port, []).extend(source.get(link.source_port, []))
            result[row.node_id] = ports
    return result
