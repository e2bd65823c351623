"""Small helpers shared by the built-in nodes: bindings per item, dot paths, schema snippets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flowbuilder.core.errors import NodeError
from flowbuilder.core.item_spool import SpooledItems

from ..base import Item, Items, NodeContext
from ..expressions import evaluate_field

_MISSING = object()


def item_bindings(ctx: NodeContext, items: Items) -> Iterator[tuple[int, Item, dict[str, Any]]]:
    """(index, item, bindings) per item. The shared part ($node, $run, $vars) is built once per run."""
    base = ctx.expression_context(None, 0)
    for index, item in enumerate(items):
        bindings = dict(base)
        bindings["item"] = item
        bindings["index"] = index
        yield index, item, bindings


def get_path(item: Any, path: str, default: Any = None) -> Any:
    """``a.b.c`` lookup in nested dicts (list indexes allowed: ``lines.0.amount``)."""
    value = item
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key, _MISSING)
        elif isinstance(value, list) and key.lstrip("-").isdigit():
            idx = int(key)
            value = value[idx] if -len(value) <= idx < len(value) else _MISSING
        else:
            return default
        if value is _MISSING:
            return default
    return value


def set_path(item: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in ``item``, copying intermediate dicts so the input item is never mutated."""
    keys = path.split(".")
    target = item
    for key in keys[:-1]:
        child = target.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        target[key] = child
        target = child
    target[keys[-1]] = value


def key_of(item: Item, fields: list[str], expression: str | None, bindings: dict[str, Any]) -> str:
    """A hashable, type-aware key for dedupe/merge/group: field values or an expression's value."""
    if expression:
        value: Any = evaluate_field(expression, bindings)
    else:
        value = [get_path(item, f) for f in fields]
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def require_main(inputs: dict[str, Items]) -> Items:
    items = inputs.get("main") or []
    if not isinstance(items, list | SpooledItems):
        raise NodeError("Input on port 'main' is not a list of items.")
    return items


def expression_property(title: str, description: str, default: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "type": "string",
        "title": title,
        "description": description,
        "x-expression": True,
    }
    if default is not None:
        prop["default"] = default
    return prop


FIELD_LIST = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "title": "Fields",
    "description": "Dot paths into each item, e.g. customer.id.",
    "default": [],
}
