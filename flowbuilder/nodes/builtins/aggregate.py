"""Aggregate: group items and compute count / sum / min / max / avg / list per group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import FIELD_LIST, get_path, key_of, require_main, set_path

OPS = ("count", "sum", "min", "max", "avg", "list")


def _numbers(values: list[Any], field: str, op: str) -> list[float]:
    numbers = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise NodeError(
                f"{op} of {field!r} met a non-number value {v!r}.",
                hint="Convert the field to a number first (Set fields with $number()).",
            )
        numbers.append(v)
    return numbers


def _compute(op: str, field: str | None, group: list[dict]) -> Any:
    if op == "count":
        if not field:
            return len(group)
        return sum(1 for item in group if get_path(item, field) is not None)
    values = [get_path(item, field) for item in group] if field else []
    if op == "list":
        return [v for v in values if v is not None]
    numbers = _numbers(values, field or "", op)
    if op == "sum":
        return sum(numbers)
    if not numbers:
        return None
    if op == "min":
        return min(numbers)
    if op == "max":
        return max(numbers)
    return sum(numbers) / len(numbers)


class AggregateItems(BaseNode):
    type = "transform.aggregate"
    label = "Aggregate"
    category = "Transform"
    icon = "sigma"
    description = "Group items and summarise each group (count, sum, min, max, avg, list)."
    docs = (
        "One output item per distinct combination of **Group by** values (one item overall if none), "
        "holding the group fields and each aggregation under its **As** name. Missing values are "
        "ignored; `sum` of nothing is 0, `avg`/`min`/`max` of nothing is null."
    )
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "group_by": {**FIELD_LIST, "title": "Group by"},
            "aggregations": {
                "type": "array",
                "title": "Aggregations",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "title": "Field", "description": "Dot path."},
                        "op": {"type": "string", "title": "Operation", "enum": list(OPS)},
                        "as": {"type": "string", "title": "As", "minLength": 1},
                    },
                    "required": ["op", "as"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["aggregations"],
        "additionalProperties": False,
    }

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        findings = []
        for i, agg in enumerate(config.get("aggregations") or []):
            if isinstance(agg, dict) and agg.get("op") not in ("count", None) and not agg.get("field"):
                findings.append((f"aggregations.{i}.field", f"{agg.get('op')} needs a field."))
        return findings

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        group_by = list(self.config.get("group_by") or [])
        groups: dict[str, list[dict]] = {}
        if not group_by:
            groups[""] = list(items)
        for item in items if group_by else ():
            groups.setdefault(key_of(item, group_by, None, {}), []).append(item)
        out = []
        for group in groups.values():
            row: dict[str, Any] = {}
            for field in group_by:
                set_path(row, field, get_path(group[0], field))
            for agg in self.config["aggregations"]:
                row[agg["as"]] = _compute(agg["op"], agg.get("field"), group)
            out.append(row)
        return {"main": out}
