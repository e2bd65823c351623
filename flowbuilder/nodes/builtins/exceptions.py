"""End items as exceptions: what a flow cannot decide goes to a person, in the failure inbox.

A flow that meets something it must not guess (a customer without its billing setup, a line whose billing
type is unknown, work over a not-to-exceed cap) routes the item here. The item leaves with an
``exception`` (category, problem, what to fix) and the engine records it in the failure inbox under its
category, while the run carries on with the other items. An item that already carries an ``exception``
(``billing.plan_invoices`` writes them) keeps it; the node's config fills what the item does not say.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import BaseNode, NodeContext, Port, PortItems
from ..expressions import render_template
from ._helpers import require_main

#: The failure inbox's categories (``execution.models.FailureCategory``; nodes do not import execution).
CATEGORIES = (
    "billing_setup",
    "not_to_exceed",
    "missing_reference",
    "refused_value",
    "validation",
    "duplicate",
)


def exception_of(item: Any, category: str = "", problem: str = "", what_to_fix: str = "") -> dict[str, str]:
    """The item's exception, completed by the given defaults (category ``validation`` when none)."""
    given = item.get("exception") if isinstance(item, dict) else None
    given = given if isinstance(given, dict) else {}
    return {
        "category": str(given.get("category") or category or "validation"),
        "problem": str(given.get("problem") or problem or "This item needs a decision."),
        "what_to_fix": str(given.get("what_to_fix") or what_to_fix or ""),
    }


class RaiseException(BaseNode):
    type = "flow.exception"
    label = "Exception to the inbox"
    category = "Flow"
    icon = "alert-triangle"
    description = "End each item as an exception with a category and what to fix; it lands in the inbox."
    docs = (
        "Each input item becomes an exception in the failure inbox, grouped by **category** "
        f"({', '.join(CATEGORIES)}), with the **problem** and **what to fix** (templates over the item, "
        "e.g. `{{ 'Customer ' & $item.id & ' has no VAT number.' }}`). An item that already carries "
        "`exception` keeps its own. The run carries on; fix the cause and replay the item from the inbox."
    )
    inputs = (Port("main", "Items"),)
    outputs = (Port("main", "Exceptions"),)
    exception_ports = ("main",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "category": {
                "type": "string",
                "title": "Category",
                "enum": list(CATEGORIES),
                "default": "validation",
            },
            "problem": {"type": "string", "title": "Problem", "default": ""},
            "what_to_fix": {"type": "string", "title": "What to fix", "default": ""},
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        out = []
        for index, item in enumerate(require_main(inputs)):
            bindings = ctx.expression_context(item, index)
            problem = render_template(self.config.get("problem") or "", bindings)
            fix = render_template(self.config.get("what_to_fix") or "", bindings)
            base = item if isinstance(item, dict) else {"value": item}
            exc = exception_of(base, self.config.get("category") or "", str(problem or ""), str(fix or ""))
            out.append({**base, "exception": exc})
        return {"main": out}
