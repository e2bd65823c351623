"""A node's input in the run history: what its predecessors output on the linked ports.

Inputs are not stored twice: they are exactly the upstream outputs (or the run input for a first node),
computed by the same scheduler function the engine used when the node ran.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import scheduler
from .models import NodeRun, Run
from .plans import plan_for


def node_inputs(run: Run, rows: Iterable[NodeRun]) -> dict[str, dict[str, list]]:
    rows = list(rows)
    try:
        plan = plan_for(run.version_id)
    except Exception:  # an unreadable plan must not hide the history
        return {}
    outputs = {row.node_id: row.output_items or {} for row in rows}
    options = run.options or {}
    return {
        row.node_id: scheduler.node_inputs(
            plan,
            row.node_id,
            outputs_of=lambda node_id: outputs.get(node_id) or {},
            run_input=run.input_items or [],
            pinned=options.get("pinned"),
            only_node=options.get("only_node"),
        )
        for row in rows
    }
