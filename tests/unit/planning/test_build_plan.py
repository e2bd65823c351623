from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.planning import ExecutionPlan, Link, build_plan


def node(nid, type_id="flow.noop", **extra):
    return {"id": nid, "type": type_id, "label": nid.upper(), "config": {"k": nid}, **extra}


def edge(eid, s, t, sp="main", tp="main"):
    return {"id": eid, "source": s, "source_port": sp, "target": t, "target_port": tp}


DOC = {
    "schema_version": 1,
    "nodes": [
        node("t", "trigger.manual"),
        node("i", "logic.if"),
        node("x"),
        node("y"),
        node("m", "logic.merge"),
        node("h", "http.request", retry={"max_attempts": 5}, on_error="error_port"),
        node("d", disabled=True),
    ],
    "edges": [
        edge("e1", "t", "i"),
        edge("e2", "i", "x", "true"),
        edge("e3", "i", "y", "false"),
        edge("e4", "x", "m", tp="a"),
        edge("e5", "y", "m", tp="b"),
        edge("e6", "m", "h"),
        edge("e7", "h", "d", "error"),
    ],
}


def test_generations_order_and_links():
    plan = build_plan(DOC)
    assert plan.generations == [["t"], ["i"], ["x", "y"], ["m"], ["h"], ["d"]]
    assert plan.order == ["t", "i", "x", "y", "m", "h", "d"]
    assert plan.triggers == ["t"]
    assert plan.incoming["m"] == [Link("x", "main", "m", "a", "e4"), Link("y", "main", "m", "b", "e5")]
    assert plan.outgoing["i"] == [Link("i", "true", "x", "main", "e2"), Link("i", "false", "y", "main", "e3")]
    assert plan.incoming["t"] == [] and plan.outgoing["d"] == []
    assert plan.predecessors("m") == ["x", "y"]


def test_node_specs_carry_defaults_and_overrides():
    plan = build_plan(DOC)
    assert plan.nodes["h"].retry == {"max_attempts": 5, "backoff_s": 1.0}  # type default merged
    assert plan.nodes["h"].on_error == "error_port" and plan.nodes["t"].on_error == "fail"
    assert plan.nodes["d"].disabled and not plan.nodes["x"].disabled
    assert plan.nodes["x"].config == {"k": "x"} and plan.nodes["x"].label == "X"


def test_round_trip_through_json():
    plan = build_plan(DOC)
    data = json.loads(json.dumps(plan.to_dict()))
    again = ExecutionPlan.from_dict(data)
    assert again == plan and again.to_dict() == plan.to_dict()


def test_cycle_and_malformed_documents_raise_clear_errors():
    cyclic = {"nodes": [node("a"), node("b")], "edges": [edge("e1", "a", "b"), edge("e2", "b", "a")]}
    with pytest.raises(InvalidInputError, match="Cycle: "):
        build_plan(cyclic)
    with pytest.raises(InvalidInputError):
        build_plan({"nodes": [node("a")], "edges": [edge("e1", "a", "zz")]})
    with pytest.raises(InvalidInputError):
        build_plan({})


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60)
        )
    )
)
def test_generated_dags_respect_dependencies(data):
    n, pairs = data
    edges = [edge(f"e{k}", f"n{min(a, b)}", f"n{max(a, b)}") for k, (a, b) in enumerate(pairs) if a != b]
    plan = build_plan({"nodes": [node(f"n{i}") for i in range(n)], "edges": edges})
    level = {nid: g for g, gen in enumerate(plan.generations) for nid in gen}
    assert sorted(plan.order) == sorted(f"n{i}" for i in range(n))
    for e in edges:
        assert level[e["source"]] < level[e["target"]]
    for gen in plan.generations[1:]:  # every node after the first generation waits for something
        assert all(plan.incoming[nid] for nid in gen)
