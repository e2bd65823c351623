"""Aggregate: group items and compute count / sum / min / max / avg / list per group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import FIELD_LIST, get_path, key_of, require_main, set_path

OPS = ("count", "sum", "min", "max", "avg", "list")


def _number(value: Any, field: str, op: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NodeError(
            f"{op} of {field!r} met a non-number value {value!r}.",
            hint="Convert the field to a number first (Set fields with $number()).",
        )
    return value


class _Running:
    """One aggregation of one group, kept up to date item by item: a long input is read a chunk at a
    time, and memory holds a running value per group (a ``list`` keeps its values)."""

    __slots__ = ("field", "op", "count", "total", "low", "high", "values")

    def __init__(self, op: str, field: str | None) -> None:
        self.op, self.field = op, field
        self.count, self.total, self.low, self.high = 0, 0, None, None
        self.values: list[Any] = []

    def add(self, item: dict) -> None:
        if self.op == "count" and not self.field:
            self.count += 1
            return
        value = get_path(item, self.field) if self.field else None
        if value is None:
            return
        if self.op == "count":
            self.count += 1
        elif self.op == "list":
            self.values.append(value)
        else:
            number = _number(value, self.field or "", self.op)
            self.count += 1
            self.total += number
            self.low = number if self.low is None or number < self.low else self.low
            self.high = number if self.high is None or number > self.high else self.high

    def result(self) -> Any:
        if self.op == "count":
            return self.count
        if self.op == "list":
            return self.values
        if self.op == "sum":
            return self.total
        if not self.count:
            return None
        if self.op == "min":
            return self.low
        if self.op == "max":
            return self.high
        return self.total / self.count


class AggregateItems(BaseNode):
    type = "transform.aggregate"
    label = "Aggregate"
    category = "Transform"
    icon = "sigma"
    streams_items = True
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
        group_by = list(self.config.get("group_by") or [])
        aggregations = self.config["aggregations"]
        # Group key -> (the group's fields from its first item, a running value per aggregation).
        groups: dict[str, tuple[dict[str, Any], list[_Running]]] = {}
        if not group_by:
            groups[""] = ({}, [_Running(a["op"], a.get("field")) for a in aggregations])
        for item in require_main(inputs):
            key = key_of(item, group_by, None, {}) if group_by else ""
            if key not in groups:
                row: dict[str, Any] = {}
                for field in group_by:
                    set_path(row, field, get_path(item, field))
                groups[key] = (row, [_Running(a["op"], a.get("field")) for a in aggregations])
            for running in groups[key][1]:
                running.add(item)
        out = []
        for row, runnings in groups.values():
            out.append({**row, **{a["as"]: r.result() for a, r in zip(aggregations, runnings, strict=True)}})
        return {"main": out}
