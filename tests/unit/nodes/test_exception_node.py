"""The exception node: each item leaves with a category, a problem and what to fix (for the inbox)."""

from __future__ import annotations

from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.builtins.exceptions import RaiseException, exception_of
from flowbuilder.nodes.registry import load_registry


def ctx() -> NodeContext:
    return NodeContext(run_id=1, node_id="x", organisation_id=1)


def test_config_templates_fill_the_exception_and_an_items_own_exception_wins():
    node = RaiseException(
        {
            "category": "billing_setup",
            "problem": "{{ 'Customer ' & $item.id & ' has no ' & $join($item.missing, ', ') & '.' }}",
            "what_to_fix": "Complete it in NetSuite, then replay.",
        }
    )
    own = {"id": 2, "exception": {"category": "validation", "problem": "Own.", "what_to_fix": "Own fix."}}
    out = node.run(ctx(), {"main": [{"id": 1, "missing": ["tax registration", "terms"]}, own]})["main"]
    assert out[0]["exception"] == {
        "category": "billing_setup",
        "problem": "Customer 1 has no tax registration, terms.",
        "what_to_fix": "Complete it in NetSuite, then replay.",
    }
    assert out[1]["exception"] == own["exception"]


def test_defaults_and_registration():
    assert exception_of({}) == {
        "category": "validation",
        "problem": "This item needs a decision.",
        "what_to_fix": "",
    }
    assert load_registry().get("flow.exception") is RaiseException
    assert RaiseException.exception_ports == ("main",)
