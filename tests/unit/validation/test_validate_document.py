from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbuilder.nodes.registry import load_registry
from flowbuilder.validation import MAX_NODES, Finding, validate_document


def node(nid, type_id="flow.noop", config=None, **extra):
    return {
        "id": nid,
        "type": type_id,
        "label": nid,
        "position": {"x": 0, "y": 0},
        "config": config or {},
        **extra,
    }


def edge(eid, source, target, source_port="main", target_port="main"):
    return {
        "id": eid,
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def doc(nodes, edges=(), **extra):
    return {"schema_version": 1, "nodes": list(nodes), "edges": list(edges), **extra}


def codes(findings):
    return sorted(f.code for f in findings)


VALID = doc(
    [
        node("t", "trigger.webhook", {"http_method": "POST"}),
        node("m", "transform.map", {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]}),
        node("i", "logic.if", {"condition": "$item.n > 1"}, on_error="error_port"),
        node("a", "flow.noop"),
        node("b", "flow.noop"),
        node("g", "logic.merge", {"mode": "append"}),
    ],
    [
        edge("e1", "t", "m"),
        edge("e2", "m", "i"),
        edge("e3", "i", "a", "true"),
        edge("e4", "i", "b", "error"),
        edge("e5", "a", "g", target_port="a"),
        edge("e6", "b", "g", target_port="b"),
    ],
    notes=[{"id": "s1", "text": "Sticky", "position": {"x": 1, "y": 2}, "size": {"w": 10, "h": 10}}],
    settings={"timezone": "UTC"},
)


def test_valid_document_has_no_findings():
    assert validate_document(VALID) == []
    assert validate_document(doc([])) == []  # empty and trigger-less flows are fine


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "x",
        3,
        [],
        [1],
        {"nodes": None},
        {"schema_version": 2, "nodes": [], "edges": []},
        {"schema_version": 1, "nodes": [None, 1, "a", {"id": 5}], "edges": [{"id": []}]},
        {"schema_version": 1, "nodes": [{"id": "a", "type": "flow.noop", "config": "x"}], "edges": {}},
        {
            "schema_version": 1,
            "nodes": [{"id": "a", "type": "flow.noop", "config": {1: {2, 3}}}],
            "edges": [],
        },
        {"schema_version": float("nan"), "nodes": [], "edges": []},
    ],
)
def test_garbage_never_raises(garbage):
    findings = validate_document(garbage)
    assert findings and all(isinstance(f, Finding) for f in findings)
    assert all(f.message for f in findings)


def test_schema_findings_point_at_node_and_field():
    d = copy.deepcopy(VALID)
    d["nodes"][1]["position"] = {"x": "left"}
    d["nodes"][2]["on_error"] = "explode"
    found = validate_document(d)
    assert {(f.node_id, f.field) for f in found if f.code == "document_schema"} >= {
        ("m", "position.x"),
        ("i", "on_error"),
    }


def test_duplicate_ids_unknown_type_and_config_errors():
    d = doc(
        [
            node("a"),
            node("a"),
            node("x", "crm.nothing"),
            node("m", "transform.map", {"fields": [{"name": ""}], "oops": 1}),
            node("w", "trigger.webhook", {"response_mode": "never"}),
        ],
        [edge("e", "a", "m"), edge("e", "a", "w")],
    )
    found = validate_document(d)
    assert "duplicate_node_id" in codes(found) and "duplicate_edge_id" in codes(found)
    assert any(f.code == "unknown_node_type" and f.node_id == "x" for f in found)
    config_fields = {(f.node_id, f.field) for f in found if f.code == "config_invalid"}
    assert ("m", "fields.0.name") in config_fields and ("w", "response_mode") in config_fields
    assert ("m", None) in config_fields  # additional property at top level


def test_extra_findings_are_reported():
    d = doc([node("m", "transform.map", {"fields": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]})])
    assert [(f.code, f.field) for f in validate_document(d)] == [("config_invalid", "fields.1.name")]


def test_ports_dangling_duplicates():
    d = doc(
        [node("i", "logic.if", {"condition": "true"}), node("a"), node("t", "trigger.manual")],
        [
            edge("e1", "i", "a", "maybe"),
            edge("e2", "i", "a", "error"),
            edge("e3", "a", "t"),
            edge("e4", "i", "ghost", "true"),
            edge("e5", "i", "a", "true"),
            edge("e6", "i", "a", "true"),
            edge("e7", "a", "a", target_port="nope"),
        ],
    )
    found = validate_document(d)
    ports = {(f.edge_id, f.field) for f in found if f.code == "unknown_port"}
    assert ports == {
        ("e1", "source_port"),
        ("e2", "source_port"),
        ("e3", "target_port"),
        ("e7", "target_port"),
    }
    assert [f.edge_id for f in found if f.code == "dangling_edge"] == ["e4"]
    assert [f.edge_id for f in found if f.code == "duplicate_edge"] == ["e6"]


def test_switch_ports_come_from_rules():
    rules = [{"port": "won", "condition": "$item.won"}]
    ok = doc(
        [node("s", "logic.switch", {"rules": rules}), node("a"), node("b")],
        [edge("e1", "s", "a", "won"), edge("e2", "s", "b", "fallback")],
    )
    assert validate_document(ok) == []
    bad = copy.deepcopy(ok)
    bad["edges"][0]["source_port"] = "lost"
    assert codes(validate_document(bad)) == ["unknown_port"]


def test_trigger_count():
    one = doc([node("t", "trigger.manual"), node("a")], [edge("e", "t", "a")])
    assert validate_document(one) == []
    two = doc([node("t1", "trigger.manual"), node("t2", "trigger.webhook")])
    found = validate_document(two)
    assert [(f.code, f.node_id) for f in found] == [("too_many_triggers", "t2")]


def test_cycle_is_named_with_every_node():
    d = doc(
        [node("a"), node("b"), node("c"), node("d")],
        [edge("e1", "a", "b"), edge("e2", "b", "c"), edge("e3", "c", "a"), edge("e4", "c", "d")],
    )
    cycle = [f for f in validate_document(d) if f.code == "cycle"]
    assert {f.node_id for f in cycle} == {"a", "b", "c"}
    message = cycle[0].message
    assert message.startswith("Cycle: ")
    names = message.split(".")[0].removeprefix("Cycle: ").split(" -> ")
    assert names[0] == names[-1] and set(names) == {"a", "b", "c"}
    self_loop = doc([node("a")], [edge("e1", "a", "a")])
    assert [f.message.split(".")[0] for f in validate_document(self_loop)] == ["Cycle: a -> a"]


def test_expressions_are_checked_in_fields_and_templates():
    d = doc(
        [
            node("i", "logic.if", {"condition": "$item.n >"}),
            node("s", "logic.switch", {"rules": [{"condition": "ok"}, {"condition": "(("}]}),
            node(
                "h",
                "http.request",
                {"method": "POST", "url": "https://x/{{ $item.id }}", "body": {"deep": ["{{ $item. }}"]}},
            ),
            node("m", "transform.map", {"fields": [{"name": "a", "value": "text {{ unclosed"}]}),
        ]
    )
    found = {(f.node_id, f.field) for f in validate_document(d) if f.code == "expression_invalid"}
    assert found == {
        ("i", "condition"),
        ("s", "rules.1.condition"),
        ("h", "body.deep.0"),
        ("m", "fields.0.value"),
    }


def test_size_limits():
    many = doc([node(f"n{i}") for i in range(MAX_NODES + 1)])
    assert codes(validate_document(many)) == ["too_many_nodes"]
    big = doc([node("a", "transform.map", {"fields": [{"name": "x", "value": "é" * 3_000_000}]})])
    assert codes(validate_document(big)) == ["document_too_large"]


def test_as_dict_shape():
    f = validate_document(doc([node("x", "nope")]))[0].as_dict()
    assert set(f) == {"code", "message", "node_id", "edge_id", "field", "severity"} and f["node_id"] == "x"


def test_registry_can_be_injected():
    registry = load_registry()

    class OnlyNoop:
        def get(self, type_id):
            return registry.get(type_id) if type_id == "flow.noop" else None

    d = doc([node("a"), node("b", "transform.map")], [edge("e", "a", "b")])
    assert codes(validate_document(d, registry=OnlyNoop())) == ["unknown_node_type"]


# --- property-based: never raises; cycles are always found and named ------------------------------

ids = st.sampled_from([f"n{i}" for i in range(8)])
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(allow_nan=False)
any_json = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
    max_leaves=8,
)


@st.composite
def graphs(draw):
    node_ids = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    types = st.sampled_from(
        ["flow.noop", "transform.map", "logic.if", "trigger.manual", "logic.merge", "unknown.x"]
    )
    nodes = [
        node(
            n,
            draw(types),
            draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=5), any_json, max_size=3))),
        )
        for n in node_ids
    ]
    ports = st.sampled_from(["main", "true", "false", "a", "b", "error"])
    edges = [
        edge(
            f"e{i}",
            draw(st.sampled_from(node_ids)),
            draw(st.sampled_from(node_ids + ["ghost"])),
            draw(ports),
            draw(ports),
        )
        for i in range(draw(st.integers(0, 12)))
    ]
    return doc(nodes, edges)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_generated_graphs_never_raise_and_cycles_are_found(d):
    import networkx as nx

    findings = validate_document(d)
    assert all(isinstance(f, Finding) and f.code != "validation_failed" for f in findings)
    node_ids = {n["id"] for n in d["nodes"]}
    g = nx.DiGraph(
        [
            (e["source"], e["target"])
            for e in d["edges"]
            if e["source"] in node_ids and e["target"] in node_ids
        ]
    )
    has_cycle = not nx.is_directed_acyclic_graph(g)
    cycle_findings = [f for f in findings if f.code == "cycle"]
    assert bool(cycle_findings) == has_cycle
    for f in cycle_findings:
        path = f.message.split(".")[0].removeprefix("Cycle: ").split(" -> ")
        assert path[0] == path[-1] and f.node_id in path
        assert all(g.has_edge(u, v) for u, v in zip(path, path[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(any_json | st.dictionaries(st.sampled_from(["schema_version", "nodes", "edges", "notes"]), any_json))
def test_arbitrary_json_never_raises(value):
    findings = validate_document(value)
    assert all(f.code != "validation_failed" for f in findings)


def test_templates_in_patterned_fields_are_checked_when_rendered_not_on_save():
    """An id field with a pattern takes ``{{ $item.id }}``; a literal that breaks the pattern is refused,
    and a broken template is still reported as an expression problem."""

    def story(id_value):
        return doc([node("s", "psa.kantata.get_story", {"connection": "1", "id": id_value})])

    assert validate_document(story("{{ $item.story_id }}")) == []
    assert validate_document(story("story {{ $item.n }}")) == []
    refused = [(f.code, f.field) for f in validate_document(story("abc"))]
    assert refused == [("config_invalid", "id")]
    assert [(f.code, f.field) for f in validate_document(story("{{ $item. }}"))] == [
        ("expression_invalid", "id")
    ]
