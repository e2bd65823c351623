"""The scheduler: pure decisions about a run, from its plan and its nodes' states. No database, no I/O.

Given what has happened so far (each node's status, and whether a failure was continued past), it says
which nodes are ready, which of those are skipped (no input items), which failure stops the run, when the
run is settled, and what items a node receives. The engine (the driver: locks, claims, checkpoints,
events), the run history view, retry/skip and the inbox's revalidation all ask the same questions here,
so they cannot disagree.
Property tests (tests/unit/execution/test_scheduler.py) run it over random DAGs and outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from flowbuilder.core.item_spool import is_spooled
from flowbuilder.planning import ExecutionPlan

from .models import PARKED_NODE, TERMINAL_NODE, NodeStatus

PortItems = dict[str, list[Any]]


class NodeView(Protocol):
    """What the scheduler needs to know of a node's state."""

    status: str
    continued: bool


def predecessors_done(
    plan: ExecutionPlan,
    states: Mapping[str, NodeView],
    node_id: str,
    scope: Collection[str] | None = None,
) -> bool:
    """Every predecessor in scope is terminal, and none failed without continuing.

    A predecessor outside the run's scope ("run this node") does not run in this run: its pinned or
    last-run data stands in for it (see :func:`node_inputs`), so it never holds the node back.
    """
    for link in plan.incoming.get(node_id, []):
        if scope is not None and link.source not in scope:
            continue
        state = states.get(link.source)
        if state is None or state.status not in TERMINAL_NODE:
            return False
        if state.status == NodeStatus.FAILED and not state.continued:
            return False
    return True


def ready_nodes(
    plan: ExecutionPlan,
    states: Mapping[str, NodeView],
    *,
    scope: Collection[str],
    due_retries: Collection[str] = (),
) -> list[str]:
    """Nodes (in plan order) that may start now: never started with all predecessors done, or parked
    (retrying or waiting) and due again."""
    ready = []
    for node_id in plan.order:
        if node_id not in scope:
            continue
        state = states.get(node_id)
        if state is None:
            if predecessors_done(plan, states, node_id, scope):
                ready.append(node_id)
        elif state.status in PARKED_NODE and node_id in due_retries:
            ready.append(node_id)
    return ready


def newly_ready_after(
    plan: ExecutionPlan, states: Mapping[str, NodeView], done: str, *, scope: Collection[str]
) -> list[str]:
    """Direct successors of ``done`` that became ready (not started, in scope, predecessors done)."""
    ready = []
    for link in plan.outgoing.get(done, []):
        node_id = link.target
        if node_id in states or node_id not in scope or node_id in ready:
            continue
        if predecessors_done(plan, states, node_id, scope):
            ready.append(node_id)
    return ready


def node_inputs(
    plan: ExecutionPlan,
    node_id: str,
    *,
    outputs_of: Callable[[str], Mapping[str, list]],
    run_input: Iterable[Any],
    pinned: Mapping[str, list] | None = None,
    only_node: str | None = None,
) -> PortItems:
    """The items ``node_id`` receives, per input port.

    A first node gets the run's input. Otherwise each incoming link carries its source's output port to
    this node's input port. When only this node runs (``only_node``), its upstream did not run in this
    run: its own pinned items, or else its sources' pinned items, stand in.
    """
    pinned = pinned or {}
    links = plan.incoming.get(node_id, [])
    alone = only_node is not None and only_node == node_id
    if alone and node_id in pinned:
        return {"main": list(pinned[node_id])}
    if not links:
        return {"main": list(run_input)}
    inputs: PortItems = {}
    for link in links:
        if alone:
            items = pinned.get(link.source, [])
        else:
            items = outputs_of(link.source).get(link.source_port, [])
        if is_spooled(items) and link.target_port not in inputs and _sole_link(links, link.target_port):
            inputs[link.target_port] = items  # read a chunk at a time, never copied into a list
        else:
            inputs.setdefault(link.target_port, []).extend(items)
    return inputs


def _sole_link(links: Iterable[Any], port: str) -> bool:
    return sum(1 for link in links if link.target_port == port) == 1


def should_skip(
    plan: ExecutionPlan, node_id: str, inputs: PortItems, *, always_runs: bool, only_node: str | None = None
) -> bool:
    """A node whose inputs all arrived empty is skipped, unless it has no inputs or always runs."""
    if not plan.incoming.get(node_id) or always_runs or only_node == node_id:
        return False
    return not any(inputs.values())


def stopping_failure(states: Mapping[str, NodeView]) -> str | None:
    """A node that failed without continuing: the run fails once nothing else is in flight."""
    for node_id, state in states.items():
        if state.status == NodeStatus.FAILED and not state.continued:
            return node_id
    return None


def settled(states: Mapping[str, NodeView], scope: Iterable[str]) -> bool:
    """Every node in scope is terminal: the run can succeed."""
    return all(states.get(n) is not None and states[n].status in TERMINAL_NODE for n in scope)


def scope_of(plan: ExecutionPlan, only_node: str | None) -> frozenset[str]:
    """The nodes this run executes: one node ("run this node"), or all of them."""
    return frozenset({only_node}) if only_node else frozenset(plan.order)


def split_claims(
    ready: list[str], *, side_effect: Callable[[str], bool], inline_only: bool
) -> tuple[list[str], list[str], list[str]]:
    """(inline side-effect nodes, side-effect nodes to fan out to other workers, pure nodes).

    One side-effect node runs in the calling executor; the others become parallel branch tasks, unless
    the run must stay in one task (a sub-flow), where they all run inline.
    """
    effects = [n for n in ready if side_effect(n)]
    pure = [n for n in ready if n not in effects]
    if not effects:
        return [], [], pure
    if inline_only:
        return effects, [], pure
    return effects[:1], effects[1:], pure


def final_output(
    plan: ExecutionPlan, states: Mapping[str, NodeView], outputs_of: Callable[[str], Mapping[str, list]]
) -> list:
    """The run's output: the main output of the last (in plan order) succeeded end node with items."""
    for node_id in reversed(plan.order):
        state = states.get(node_id)
        if state and state.status == NodeStatus.SUCCEEDED and not plan.outgoing.get(node_id):
            outputs = outputs_of(node_id)
            if outputs:
                return outputs.get("main") or next(iter(outputs.values()), [])
    return []
