"""Items a node holds for a person (its ``held`` port) become failure-inbox records: one per item, with the
category, message and input index the node gave (``execution.failure_records.for_held``)."""

from __future__ import annotations

from types import SimpleNamespace

from flowbuilder.execution import failure_records
from flowbuilder.execution.failures import NEXT_STEP
from flowbuilder.execution.models import FailureCategory, FailureKind


def test_each_held_item_is_one_item_failure_with_the_nodes_category_and_index():
    run = SimpleNamespace(organisation_id=7, flow_id=8, pk=9)
    held = [
        {
            "Id": "001B",
            "error": {"category": "needs_review", "message": "Decide in Match reviews.", "item_index": 3},
        },
        {"Id": "001C", "error": {"category": "no_such_category", "message": ""}},
    ]
    first, second = failure_records.for_held(run, "match", held)
    assert (first.kind, first.node_id, first.item_index, first.category) == (
        FailureKind.ITEM,
        "match",
        3,
        FailureCategory.NEEDS_REVIEW,
    )
    assert first.message == "Decide in Match reviews." and first.item == {"Id": "001B"}  # error not copied
    assert (first.organisation_id, first.flow_id, first.run_id) == (7, 8, 9)
    # An unknown category is ours to fix (internal); no index: its place among the held items
    assert (second.category, second.item_index) == (FailureCategory.INTERNAL, 1)
    assert second.message == "A person must look at this item."


def test_needs_review_has_a_next_step_for_the_inbox():
    assert "replay" in NEXT_STEP[FailureCategory.NEEDS_REVIEW]
    assert set(NEXT_STEP) == set(FailureCategory)
