"""Node groups are presentation data: checked against the nodes they name, never part of execution."""

from __future__ import annotations

import copy

from flowbuilder.planning import build_plan
from flowbuilder.validation import validate_document
from flowbuilder.validation.groups import first_group_problem

from .test_validate_document import VALID, codes


def grouped(groups):
    d = copy.deepcopy(VALID)
    d["groups"] = groups
    return d


def test_valid_groups_have_no_findings():
    d = grouped(
        [
            {"id": "g1", "label": "Shape", "nodes": ["m", "i"], "collapsed": True},
            {"id": "g2", "nodes": ["a", "b"]},
        ]
    )
    assert validate_document(d) == []
    assert first_group_problem(d) is None


def test_group_naming_a_missing_node_is_an_error_on_its_field():
    d = grouped([{"id": "g1", "label": "Shape", "nodes": ["m", "ghost"]}])
    findings = validate_document(d)
    assert codes(findings) == ["group_unknown_node"]
    assert findings[0].field == "groups[0].nodes"
    assert "ghost" in findings[0].message
    problem = first_group_problem(d)
    assert problem is not None and problem.field == "groups[0].nodes"


def test_overlapping_groups_and_ids_taken_by_nodes_are_errors():
    d = grouped(
        [{"id": "g1", "nodes": ["m", "i"]}, {"id": "a", "nodes": ["i"]}, {"id": "g1", "nodes": ["b"]}]
    )
    findings = validate_document(d)
    assert codes(findings) == ["group_id_taken", "group_id_taken", "group_overlap"]
    assert {f.field for f in findings} == {"groups[1].id", "groups[2].id", "groups[1].nodes"}


def test_misshapen_groups_are_schema_findings_naming_the_field():
    d = grouped([{"id": "g1", "nodes": []}, {"label": "no id", "nodes": ["m"]}, {"id": "g3", "nodes": "m"}])
    fields = {f.field for f in validate_document(d) if f.code == "document_schema"}
    assert fields == {"groups[0].nodes", "groups[1]", "groups[2].nodes"}
    assert first_group_problem(d).field == "groups[0].nodes"
    assert first_group_problem({**VALID, "groups": "x"}).field == "groups"


def test_plan_ignores_groups():
    plain = build_plan(VALID)
    with_groups = build_plan(
        grouped([{"id": "g1", "label": "All", "nodes": [n["id"] for n in VALID["nodes"]], "collapsed": True}])
    )
    assert with_groups.to_dict() == plain.to_dict()
    assert with_groups.generations == plain.generations
