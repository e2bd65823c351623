"""A template's nodes run in process, as the engine orders and feeds them: plan order, the scheduler's
inputs and skips, each node's own class. For template tests that need neither a database nor a worker."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from flowbuilder.devtools.demo import load_template_file
from flowbuilder.execution import scheduler
from flowbuilder.flows import templates as template_actions
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.registry import load_registry
from flowbuilder.planning import build_plan

Outputs = dict[str, dict[str, list]]


def rendered_template(path: Path) -> dict[str, Any]:
    """The template's document with its default parameters and every connection slot bound (to id 7)."""
    spec = load_template_file(path)
    params = template_actions.check_parameters(spec["parameters"], spec["document"])
    slots = {p["name"]: 7 for p in params if p["kind"] == "connection"}
    return template_actions.render_document(spec["document"], params, slots)


def run_nodes(
    doc: dict[str, Any],
    only: Collection[str],
    outputs: Outputs,
    connection: Any,
    *,
    stand_ins: dict[str, Callable[[Outputs], dict[str, list]]] | None = None,
) -> Outputs:
    """Run the nodes in ``only`` on ``outputs`` (what earlier nodes put out; filled in as nodes run).
    Every node's connection is ``connection``; a node in ``stand_ins`` is not run, its output is what the
    stand-in returns from the outputs so far."""
    plan, registry = build_plan(doc), load_registry()
    configs = {n["id"]: n["config"] for n in doc["nodes"]}
    stand_ins = stand_ins or {}
    for node_id in plan.order:
        if node_id in stand_ins:
            outputs[node_id] = stand_ins[node_id](outputs)
            continue
        if node_id not in only:
            continue
        inputs = scheduler.node_inputs(plan, node_id, outputs_of=lambda n: outputs.get(n, {}), run_input=[])
        cls = registry.get(plan.nodes[node_id].type)
        if scheduler.should_skip(plan, node_id, inputs, always_runs=getattr(cls, "always_runs", False)):
            outputs[node_id] = {}
            continue
        ctx = NodeContext(run_id=1, node_id=node_id, organisation_id=1, connection=lambda _ref: connection)
        outputs[node_id] = cls(configs[node_id]).run(ctx, inputs)
    return outputs
