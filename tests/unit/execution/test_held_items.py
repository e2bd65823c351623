"""Items a node holds for a person (the match node's ``held`` exception port) become failure-inbox records:
one per item, with the category and message the node gave and, where it knows it, the item's input index
(so a retry from the node takes that item) (``execution.failure_records.for_exceptions``)."""

from __future__ import annotations

from types import SimpleNamespace

from flowbuilder.execution import failure_records
from flowbuilder.execution.failures import NEXT_STEP
from flowbuilder.execution.models import FailureCategory, FailureKind


def test_each_held_item_is_one_item_failure_with_the_nodes_category_and_input_index():
    run = SimpleNamespace(organisation_id=7, flow_id=8, pk=9, version_id=None)
    held = [
        {
            "Id": "001B",
            "exception": {"category": "needs_review", "problem": "Decide in Match reviews.", "item_index": 3},
        },
        {"Id": "001C", "exception": {"category": "no_such_category", "problem": ""}},
    ]
    first, second = failure_records.for_exceptions(run, "match", held, offset=5)
    assert (first.kind, first.node_id, first.item_index, first.category) == (
        FailureKind.ITEM,
        "match",
        3,
        FailureCategory.NEEDS_REVIEW,
    )
    assert first.message == "Decide in Match reviews." and first.item["Id"] == "001B"
    assert (first.organisation_id, first.flow_id, first.run_id) == (7, 8, 9)
    # An unknown category reads as a validation problem; no index: its place among the exception items
    assert (second.category, second.item_index) == (FailureCategory.VALIDATION, 6)
    assert second.message == "This item needs a decision."


def test_needs_review_has_a_next_step_for_the_inbox():
    assert "replay" in NEXT_STEP[FailureCategory.NEEDS_REVIEW]
    assert set(NEXT_STEP) == set(FailureCategory)
