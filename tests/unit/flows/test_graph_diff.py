"""Graph diff: added/removed/changed nodes with per-field paths, edges, stable JSON output."""

from __future__ import annotations

import json

from hypothesis import given

from flowbuilder.flows.graph_diff import MISSING, diff_documents, get_at, is_empty, join, set_at, split
from tests.support.documents import document, edge, node

from .strategies import documents


def base_doc() -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("m", "transform.map", {"fields": [{"name": "a", "value": "1"}], "keep": True}),
            node("q", "http.request", {"url": "https://x.test", "headers": {"A": "1"}}),
        ],
        [edge("t", "m"), edge("m", "q")],
    )


def test_identical_documents_have_an_empty_diff():
    diff = diff_documents(base_doc(), base_doc())
    assert is_empty(diff)
    assert diff["summary"]["fields_changed"] == 0


def test_added_removed_and_changed_nodes_with_paths():
    old = base_doc()
    new = base_doc()
    new["nodes"][1]["config"]["fields"] = [{"name": "a", "value": "2"}]
    del new["nodes"][1]["config"]["keep"]
    new["nodes"][2]["config"]["headers"]["B"] = "2"
    new["nodes"] = [n for n in new["nodes"] if n["id"] != "t"] + [node("n", "logic.if")]
    new["edges"] = [edge("m", "q"), edge("q", "n")]
    diff = diff_documents(old, new)
    assert [n["id"] for n in diff["nodes_added"]] == ["n"]
    assert [n["id"] for n in diff["nodes_removed"]] == ["t"]
    changed = {c["id"]: c["changes"] for c in diff["nodes_changed"]}
    assert changed["m"] == [
        {
            "path": "/nodes/m/config/fields",
            "op": "replace",
            "old": [{"name": "a", "value": "1"}],
            "new": [{"name": "a", "value": "2"}],
        },
        {"path": "/nodes/m/config/keep", "op": "remove", "old": True, "new": None},
    ]
    assert changed["q"] == [{"path": "/nodes/q/config/headers/B", "op": "add", "old": None, "new": "2"}]
    assert [(e["source"], e["target"]) for e in diff["edges_added"]] == [("q", "n")]
    assert [(e["source"], e["target"]) for e in diff["edges_removed"]] == [("t", "m")]
    assert diff["summary"] == {
        "nodes_added": 1,
        "nodes_removed": 1,
        "nodes_changed": 2,
        "edges_added": 1,
        "edges_removed": 1,
        "fields_changed": 3,
    }


def test_reordering_nodes_or_renaming_an_edge_id_is_no_change():
    old = base_doc()
    new = base_doc()
    new["nodes"].reverse()
    new["edges"][0]["id"] = "renamed"
    assert is_empty(diff_documents(old, new))


def test_type_changes_are_changes_even_when_python_says_equal():
    old = document([node("m", "x", {"n": 1})], [])
    new = document([node("m", "x", {"n": True})], [])
    assert diff_documents(old, new)["nodes_changed"][0]["changes"][0]["path"] == "/nodes/m/config/n"


def test_pointer_segments_are_escaped_and_nodes_are_addressed_by_id():
    doc = document([node("a/b", "x", {"k~y": 1})], [])
    pointer = join("nodes", "a/b", "config", "k~y")
    assert pointer == "/nodes/a~1b/config/k~0y"
    assert split(pointer) == ["nodes", "a/b", "config", "k~y"]
    assert get_at(doc, pointer) == 1
    set_at(doc, pointer, 2)
    assert doc["nodes"][0]["config"]["k~y"] == 2
    assert get_at(doc, "/nodes/ghost/config") is MISSING


@given(documents(), documents())
def test_diff_is_json_and_stable(old, new):
    diff = diff_documents(old, new)
    assert json.loads(json.dumps(diff)) == diff
    assert diff_documents(old, new) == diff
    assert is_empty(diff_documents(new, new))
    back = diff_documents(new, old)
    assert {n["id"] for n in back["nodes_added"]} == {n["id"] for n in diff["nodes_removed"]}
    assert {c["id"] for c in back["nodes_changed"]} == {c["id"] for c in diff["nodes_changed"]}
