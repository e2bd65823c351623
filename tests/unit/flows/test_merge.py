"""Three-way merge: one-sided changes win, equal changes agree, different changes conflict (ours kept)."""

from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from flowbuilder.flows.graph_diff import same
from flowbuilder.flows.merge import merge_documents
from tests.support.documents import document, edge, node

from .strategies import CONFIG_KEYS, documents, values


def base_doc() -> dict:
    return document(
        [
            node("t", "trigger.manual"),
            node("m", "transform.map", {"fields": [{"name": "a", "value": "1"}], "limit": 10}),
            node("q", "http.request", {"url": "https://x.test", "headers": {"A": "1"}}),
        ],
        [edge("t", "m"), edge("m", "q")],
    )


def cfg(doc: dict, nid: str) -> dict:
    return next(n for n in doc["nodes"] if n["id"] == nid)["config"]


def test_one_sided_changes_merge_and_additions_are_kept():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "m")["limit"] = 20
    cfg(theirs, "m")["fields"] = [{"name": "a", "value": "2"}]
    cfg(theirs, "q")["headers"]["B"] = "2"
    ours["nodes"].append(node("o", "logic.if"))
    ours["edges"].append(edge("q", "o"))
    theirs["nodes"].insert(2, node("n", "transform.filter"))
    theirs["edges"].append(edge("m", "n"))
    result = merge_documents(base, ours, theirs)
    assert result.clean
    doc = result.document
    assert cfg(doc, "m") == {"fields": [{"name": "a", "value": "2"}], "limit": 20}
    assert cfg(doc, "q")["headers"] == {"A": "1", "B": "2"}
    assert [n["id"] for n in doc["nodes"]] == ["t", "m", "n", "q", "o"]
    assert {(e["source"], e["target"]) for e in doc["edges"]} == {
        ("t", "m"),
        ("m", "q"),
        ("q", "o"),
        ("m", "n"),
    }


def test_different_changes_to_one_field_conflict_and_keep_ours():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "m")["limit"] = 20
    cfg(theirs, "m")["limit"] = 30
    cfg(theirs, "q")["url"] = "https://y.test"
    result = merge_documents(base, ours, theirs)
    assert result.conflicts == [
        {"kind": "field", "node": "m", "path": "/nodes/m/config/limit", "base": 10, "ours": 20, "theirs": 30}
    ]
    assert cfg(result.document, "m")["limit"] == 20
    assert cfg(result.document, "q")["url"] == "https://y.test"
    json.dumps(result.as_dict())


def test_same_change_on_both_sides_is_not_a_conflict():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "m")["limit"] = 20
    cfg(theirs, "m")["limit"] = 20
    result = merge_documents(base, ours, theirs)
    assert result.clean and cfg(result.document, "m")["limit"] == 20


def test_removed_on_one_side_changed_on_the_other_is_a_conflict():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "q")["url"] = "https://mine.test"
    theirs["nodes"] = [n for n in theirs["nodes"] if n["id"] != "q"]
    theirs["edges"] = [e for e in theirs["edges"] if e["target"] != "q"]
    result = merge_documents(base, ours, theirs)
    assert [(c["kind"], c["path"], c["theirs"]) for c in result.conflicts] == [
        ("removed_and_changed", "/nodes/q", None)
    ]
    assert "q" in {n["id"] for n in result.document["nodes"]}  # ours kept until resolved
    # The edge to q was removed by theirs and untouched by ours: it goes (ours still has the node).
    assert ("m", "q") not in {(e["source"], e["target"]) for e in result.document["edges"]}

    resolved = merge_documents(base, ours, theirs, resolutions={"/nodes/q": "theirs"})
    assert resolved.clean and [r["path"] for r in resolved.resolved] == ["/nodes/q"]
    assert "q" not in {n["id"] for n in resolved.document["nodes"]}


def test_removed_on_one_side_untouched_on_the_other_is_removed():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    theirs["nodes"] = [n for n in theirs["nodes"] if n["id"] != "q"]
    theirs["edges"] = [e for e in theirs["edges"] if e["target"] != "q"]
    result = merge_documents(base, ours, theirs)
    assert result.clean
    assert [n["id"] for n in result.document["nodes"]] == ["t", "m"]


def test_dangling_edges_are_dropped_with_a_warning():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    ours["nodes"] = [n for n in ours["nodes"] if n["id"] != "q"]
    ours["edges"] = [e for e in ours["edges"] if e["target"] != "q"]
    theirs["nodes"].append(node("n", "logic.if"))
    theirs["edges"].append(edge("q", "n"))
    result = merge_documents(base, ours, theirs)
    assert result.clean
    assert result.warnings and "q -> n" in result.warnings[0]


def test_resolutions_take_a_side_or_a_value():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "m")["limit"] = 20
    cfg(theirs, "m")["limit"] = 30
    for choice, expected in (("ours", 20), ("theirs", 30), ("base", 10), ({"value": 99}, 99)):
        result = merge_documents(base, ours, theirs, resolutions={"/nodes/m/config/limit": choice})
        assert result.clean and cfg(result.document, "m")["limit"] == expected


def test_inputs_are_not_mutated():
    base, ours, theirs = base_doc(), base_doc(), base_doc()
    cfg(ours, "m")["limit"] = 20
    theirs["nodes"].append(node("n", "logic.if"))
    snapshot = copy.deepcopy((base, ours, theirs))
    result = merge_documents(base, ours, theirs)
    cfg(result.document, "m")["limit"] = 0
    assert (base, ours, theirs) == snapshot


# --- properties ---------------------------------------------------------------------------------------


@given(documents(), documents())
def test_merge_with_unchanged_ours_is_theirs(base, theirs):
    result = merge_documents(base, copy.deepcopy(base), theirs)
    assert result.clean
    assert same(result.document, theirs)


@given(documents(), documents())
def test_merge_with_unchanged_theirs_is_ours(base, ours):
    result = merge_documents(base, ours, copy.deepcopy(base))
    assert result.clean
    assert same(result.document, ours)


@given(documents(), documents())
def test_same_document_on_both_sides_is_that_document(base, both):
    result = merge_documents(base, both, copy.deepcopy(both))
    assert result.clean and same(result.document, both)


OURS_KEYS, THEIRS_KEYS = CONFIG_KEYS[:2], CONFIG_KEYS[2:]


@st.composite
def disjoint_edits(draw):
    """Ours and theirs edit disjoint config fields of shared nodes and add nodes of their own."""
    base = draw(documents())
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    for side, keys, prefix in ((ours, OURS_KEYS, "o"), (theirs, THEIRS_KEYS, "x")):
        for n in side["nodes"]:
            for key in keys:
                action = draw(st.sampled_from(["keep", "set", "drop"]))
                if action == "set":
                    n["config"][key] = draw(values)
                elif action == "drop":
                    n["config"].pop(key, None)
        for i in range(draw(st.integers(0, 2))):
            nid = f"{prefix}{i}"
            side["nodes"].insert(draw(st.integers(0, len(side["nodes"]))), node(nid, "logic.if"))
            if len(side["nodes"]) > 1:
                other = draw(st.sampled_from([n["id"] for n in side["nodes"] if n["id"] != nid]))
                side["edges"].append(edge(other, nid))
    return base, ours, theirs


@settings(max_examples=200)
@given(disjoint_edits())
def test_disjoint_edits_never_conflict_and_both_survive(edits):
    base, ours, theirs = edits
    result = merge_documents(base, ours, theirs)
    assert result.clean, result.conflicts
    merged = {n["id"]: n for n in result.document["nodes"]}
    for side, keys in ((ours, OURS_KEYS), (theirs, THEIRS_KEYS)):
        for n in side["nodes"]:
            assert n["id"] in merged
            for key in keys:
                assert same(merged[n["id"]]["config"].get(key), n["config"].get(key))
    merged_edges = {(e["source"], e["target"]) for e in result.document["edges"]}
    for side in (ours, theirs):
        assert {(e["source"], e["target"]) for e in side["edges"]} <= merged_edges


def _groups(doc: dict, groups: list[dict]) -> dict:
    return {**doc, "groups": groups}


def test_groups_merge_by_id_and_members_as_sets():
    base = _groups(base_doc(), [{"id": "g1", "label": "Shape", "nodes": ["m"], "collapsed": False}])
    ours = copy.deepcopy(base)
    theirs = copy.deepcopy(base)
    ours["groups"][0]["nodes"].append("q")  # the customer added q to the group
    ours["groups"][0]["collapsed"] = True  # and collapsed it
    theirs["nodes"].append(node("n", "transform.filter"))
    theirs["groups"][0]["nodes"].append("n")  # the template put its new node in the group
    theirs["groups"][0]["label"] = "Shape the data"
    theirs["groups"].append({"id": "g2", "label": "Trigger", "nodes": ["t"]})
    result = merge_documents(base, ours, theirs)
    assert result.clean, result.conflicts
    assert result.document["groups"] == [
        {"id": "g1", "label": "Shape the data", "collapsed": True, "nodes": ["m", "q", "n"]},
        {"id": "g2", "label": "Trigger", "nodes": ["t"]},
    ]


def test_group_members_whose_node_is_gone_are_dropped_with_a_warning():
    base = _groups(base_doc(), [{"id": "g1", "label": "Shape", "nodes": ["m", "q"]}])
    ours = copy.deepcopy(base)
    theirs = copy.deepcopy(base)
    theirs["nodes"] = [n for n in theirs["nodes"] if n["id"] != "q"]
    theirs["edges"] = [e for e in theirs["edges"] if "q" not in (e["source"], e["target"])]
    theirs["groups"][0]["nodes"] = ["m"]
    ours["groups"].append({"id": "g2", "label": "Call", "nodes": ["q"]})  # a group of the removed node
    result = merge_documents(base, ours, theirs)
    assert result.document["groups"] == [{"id": "g1", "label": "Shape", "nodes": ["m"]}]
    assert any("g2" in w for w in result.warnings)


def test_same_label_change_on_both_sides_agrees_and_different_ones_conflict():
    base = _groups(base_doc(), [{"id": "g1", "label": "Shape", "nodes": ["m"]}])
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours["groups"][0]["label"] = "Ours"
    theirs["groups"][0]["label"] = "Theirs"
    result = merge_documents(base, ours, theirs)
    assert [c["path"] for c in result.conflicts] == ["/groups/g1/label"]
    assert result.document["groups"][0]["label"] == "Ours"
