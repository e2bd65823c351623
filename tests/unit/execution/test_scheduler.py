"""Property tests of the pure scheduler over random DAGs and random node outcomes.

A tiny driver below plays the engine's part with nothing but scheduler functions: it asks for ready nodes,
skips the ones whose inputs are all empty, and gives every other node a random outcome. Whatever the graph
and the outcomes: every node ends terminal unless a failure stopped the run, skips propagate exactly, and
no node starts before all its predecessors are terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from flowbuilder.execution import scheduler
from flowbuilder.execution.models import TERMINAL_NODE, NodeStatus
from flowbuilder.planning import ExecutionPlan, Link, NodeSpec

OUTCOMES = ("items", "empty", "failed_continued", "failed")


@dataclass
class State:
    status: str
    continued: bool = False


@st.composite
def dags(draw: st.DrawFn) -> ExecutionPlan:
    """A random DAG: node i may only link to nodes after it, so there is never a cycle."""
    count = draw(st.integers(min_value=1, max_value=12))
    ids = [f"n{i}" for i in range(count)]
    incoming: dict[str, list[Link]] = {n: [] for n in ids}
    outgoing: dict[str, list[Link]] = {n: [] for n in ids}
    for j in range(1, count):
        sources = draw(st.sets(st.integers(min_value=0, max_value=j - 1), max_size=3))
        for i in sorted(sources):
            port = draw(st.sampled_from(["main", "true"]))
            link = Link(ids[i], port, ids[j], "main", f"e{i}-{j}")
            incoming[ids[j]].append(link)
            outgoing[ids[i]].append(link)
    return ExecutionPlan(
        generations=[[n] for n in ids],
        order=ids,
        nodes={n: NodeSpec(type="transform.map") for n in ids},
        incoming={n: links for n, links in incoming.items() if links},
        outgoing={n: links for n, links in outgoing.items() if links},
        triggers=[ids[0]],
    )


def drive(plan: ExecutionPlan, outcomes: dict[str, str]) -> tuple[dict[str, State], list[str], dict]:
    """Run the plan with the scheduler alone; returns final states, start order, and outputs."""
    states: dict[str, State] = {}
    outputs: dict[str, dict[str, list]] = {}
    started: list[str] = []
    scope = scheduler.scope_of(plan, None)
    while scheduler.stopping_failure(states) is None:
        ready = scheduler.ready_nodes(plan, states, scope=scope)
        if not ready:
            break
        for node_id in ready:
            for pred in plan.predecessors(node_id):  # the property: predecessors first
                assert states[pred].status in TERMINAL_NODE, (node_id, pred)
            inputs = scheduler.node_inputs(
                plan, node_id, outputs_of=lambda n: outputs.get(n, {}), run_input=[{"start": True}]
            )
            if scheduler.should_skip(plan, node_id, inputs, always_runs=False):
                states[node_id] = State(NodeStatus.SKIPPED)
                outputs[node_id] = {}
                continue
            started.append(node_id)
            outcome = outcomes.get(node_id, "items")
            items = [item for port in inputs.values() for item in port] or [{}]
            if outcome == "items":
                states[node_id] = State(NodeStatus.SUCCEEDED)
                outputs[node_id] = {"main": items, "true": items[:1]}
            elif outcome == "empty":
                states[node_id] = State(NodeStatus.SUCCEEDED)
                outputs[node_id] = {"main": [], "true": []}
            elif outcome == "failed_continued":
                states[node_id] = State(NodeStatus.FAILED, continued=True)
                outputs[node_id] = {"main": items}
            else:
                states[node_id] = State(NodeStatus.FAILED)
                outputs[node_id] = {}
    return states, started, outputs


def _descendants(plan: ExecutionPlan, node_id: str) -> set[str]:
    seen, work = set(), [node_id]
    while work:
        for link in plan.outgoing.get(work.pop(), []):
            if link.target not in seen:
                seen.add(link.target)
                work.append(link.target)
    return seen


@settings(max_examples=300, deadline=None)
@given(plan=dags(), data=st.data())
def test_every_node_ends_terminal_unless_a_failure_stops_the_run(plan, data):
    outcomes = {n: data.draw(st.sampled_from(OUTCOMES)) for n in plan.order}
    states, _, _ = drive(plan, outcomes)
    stopped = scheduler.stopping_failure(states)
    if stopped is None:
        assert scheduler.settled(states, plan.order)
        assert set(states) == set(plan.order)
    else:
        # Nothing downstream of the stopping failure ever started.
        assert not (_descendants(plan, stopped) & set(states))
        assert not scheduler.settled(states, plan.order) or not _descendants(plan, stopped)


@settings(max_examples=300, deadline=None)
@given(plan=dags(), data=st.data())
def test_a_node_is_skipped_exactly_when_all_its_inputs_are_empty(plan, data):
    outcomes = {n: data.draw(st.sampled_from(OUTCOMES[:3])) for n in plan.order}
    states, _, outputs = drive(plan, outcomes)
    for node_id in plan.order:
        links = plan.incoming.get(node_id, [])
        received = [item for link in links for item in outputs[link.source].get(link.source_port, [])]
        if links and not received:
            assert states[node_id].status == NodeStatus.SKIPPED, node_id
        else:
            assert states[node_id].status != NodeStatus.SKIPPED, node_id


@settings(max_examples=200, deadline=None)
@given(plan=dags())
def test_skips_propagate_down_a_branch_that_produced_nothing(plan):
    # The first node produces nothing: every node fed only by it (or by nodes so fed) is skipped.
    first = plan.order[0]
    states, started, _ = drive(plan, {first: "empty"})
    assert started[0] == first
    dead = {first}
    for node_id in plan.order[1:]:
        preds = plan.predecessors(node_id)
        if preds and set(preds) <= dead:
            dead.add(node_id)
    for node_id in plan.order[1:]:
        assert (states[node_id].status == NodeStatus.SKIPPED) == (node_id in dead), node_id


def test_inputs_follow_ports_and_pinned_data_stands_in_for_a_lone_node():
    a, b = Link("a", "true", "c", "main", "e1"), Link("b", "main", "c", "other", "e2")
    plan = ExecutionPlan(
        generations=[["a", "b"], ["c"]],
        order=["a", "b", "c"],
        nodes={n: NodeSpec(type="transform.map") for n in "abc"},
        incoming={"c": [a, b]},
        outgoing={"a": [a], "b": [b]},
        triggers=["a"],
    )
    outputs = {"a": {"true": [{"x": 1}], "main": [{"x": 2}]}, "b": {"main": [{"y": 3}]}}
    got = scheduler.node_inputs(plan, "c", outputs_of=lambda n: outputs[n], run_input=[])
    assert got == {"main": [{"x": 1}], "other": [{"y": 3}]}
    assert scheduler.node_inputs(plan, "a", outputs_of=outputs.get, run_input=[{"r": 1}]) == {
        "main": [{"r": 1}]
    }
    pinned = {"a": [{"p": 1}], "b": [{"q": 2}]}
    lone = scheduler.node_inputs(
        plan, "c", outputs_of=lambda n: {}, run_input=[], pinned=pinned, only_node="c"
    )
    assert lone == {"main": [{"p": 1}], "other": [{"q": 2}]}
    own = scheduler.node_inputs(
        plan, "c", outputs_of=lambda n: {}, run_input=[], pinned={"c": [{"z": 0}]}, only_node="c"
    )
    assert own == {"main": [{"z": 0}]}


def test_one_side_effect_runs_inline_and_the_rest_fan_out_unless_inline_only():
    effects = {"s1", "s2", "s3"}
    ready = ["p1", "s1", "s2", "p2", "s3"]
    assert scheduler.split_claims(ready, side_effect=effects.__contains__, inline_only=False) == (
        ["s1"],
        ["s2", "s3"],
        ["p1", "p2"],
    )
    assert scheduler.split_claims(ready, side_effect=effects.__contains__, inline_only=True) == (
        ["s1", "s2", "s3"],
        [],
        ["p1", "p2"],
    )
