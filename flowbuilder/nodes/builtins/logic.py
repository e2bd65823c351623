"""Branching and joining: if, switch, merge."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from flowbuilder.core.item_spool import ItemBuffer, ItemsByPosition, is_spooled

from ..base import BaseNode, Items, NodeContext, Port, PortItems
from ..expressions import evaluate_field, is_truthy
from ._helpers import FIELD_LIST, get_path, item_bindings, key_of
from .filtering import CONDITION

PORT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED_PORTS = {"fallback", "error"}


class IfNode(BaseNode):
    type = "logic.if"
    label = "If"
    category = "Logic"
    icon = "git-branch"
    description = "Route each item to 'true' or 'false' by a condition."
    docs = "Evaluates **Condition** per item; true items leave on **true**, the rest on **false**."
    outputs = (Port("true", "True"), Port("false", "False"))
    streams_items = True
    expression_fields = ("condition",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {"condition": {**CONDITION, "minLength": 1}},
        "required": ["condition"],
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        condition = self.config["condition"]
        out = {"true": ItemBuffer(), "false": ItemBuffer()}
        for _, item, bindings in item_bindings(ctx, inputs.get("main") or []):
            out["true" if is_truthy(evaluate_field(condition, bindings)) else "false"].append(item)
        return {port: buffer.result() for port, buffer in out.items()}


def _rule_port(rule: Any, index: int) -> str:
    port = rule.get("port") if isinstance(rule, dict) else None
    return port if isinstance(port, str) and port else f"case_{index}"


class SwitchNode(BaseNode):
    type = "logic.switch"
    label = "Switch"
    category = "Logic"
    icon = "git-fork"
    description = "Route items by the first (or every) matching rule; unmatched items go to 'fallback'."
    docs = (
        "Each rule is an output port with a condition. In **first** mode an item leaves on the first "
        "rule that matches; in **all** mode on every matching rule. Items no rule matches leave on "
        "**fallback**. Port names default to `case_0`, `case_1`, ..."
    )
    outputs = (Port("fallback", "Fallback"),)  # plus one port per rule: see output_ports
    streams_items = True
    expression_fields = ("rules[].condition",)
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "rules": {
                "type": "array",
                "title": "Rules",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "properties": {
                        "port": {
                            "type": "string",
                            "title": "Port",
                            "description": "Output port name (lowercase letters, digits, _).",
                        },
                        "label": {"type": "string", "title": "Label"},
                        "condition": {**CONDITION, "minLength": 1},
                    },
                    "required": ["condition"],
                    "additionalProperties": False,
                },
            },
            "mode": {
                "type": "string",
                "title": "Mode",
                "enum": ["first", "all"],
                "default": "first",
            },
        },
        "required": ["rules"],
        "additionalProperties": False,
        "x-output-ports": {"from": "rules", "name": "port", "label": "label", "then": ["fallback"]},
    }

    @classmethod
    def output_ports(cls, config: Mapping[str, Any]) -> tuple[Port, ...]:
        rules = config.get("rules") if isinstance(config, Mapping) else None
        ports = []
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            label = rule.get("label", "") if isinstance(rule, dict) else ""
            ports.append(Port(_rule_port(rule, i), label if isinstance(label, str) else ""))
        return (*ports, *cls.outputs)

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        findings = []
        seen: set[str] = set()
        for i, rule in enumerate(config.get("rules") or []):
            port = _rule_port(rule, i)
            if not PORT_NAME.match(port):
                findings.append((f"rules.{i}.port", f"Port {port!r}: use lowercase letters, digits, _."))
            elif port in RESERVED_PORTS:
                findings.append((f"rules.{i}.port", f"Port name {port!r} is reserved; pick another."))
            elif port in seen:
                findings.append((f"rules.{i}.port", f"Port {port!r} is used by two rules; rename one."))
            seen.add(port)
        return findings

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        rules = [(_rule_port(r, i), r["condition"]) for i, r in enumerate(self.config["rules"])]
        first_only = self.config.get("mode", "first") == "first"
        out = {port: ItemBuffer() for port, _ in rules}
        out["fallback"] = ItemBuffer()
        for _, item, bindings in item_bindings(ctx, inputs.get("main") or []):
            matched = False
            for port, condition in rules:
                if is_truthy(evaluate_field(condition, bindings)):
                    out[port].append(item)
                    matched = True
                    if first_only:
                        break
            if not matched:
                out["fallback"].append(item)
        return {port: buffer.result() for port, buffer in out.items()}


class MergeNode(BaseNode):
    type = "logic.merge"
    label = "Merge"
    category = "Logic"
    icon = "git-merge"
    description = "Join two branches: append, merge by key, or pair by position."
    docs = (
        "Runs once at least one input has items (a skipped branch counts as empty).\n\n"
        "* **append**: items of A, then items of B.\n"
        "* **merge_by_key**: each A item is merged with the B item with the same key (B's fields "
        "win). **Join** `left` keeps unmatched A items, `inner` drops them, `outer` also adds "
        "unmatched B items.\n"
        "* **pair_by_index**: A[0] with B[0], A[1] with B[1], ...; unpaired items are dropped unless "
        "**Include unpaired** is on."
    )
    inputs = (Port("a", "A"), Port("b", "B"))
    always_runs = True
    streams_items = True
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "mode": {
                "type": "string",
                "title": "Mode",
                "enum": ["append", "merge_by_key", "pair_by_index"],
                "default": "append",
            },
            "key_fields": {**FIELD_LIST, "title": "Key fields (A)"},
            "key_fields_b": {
                **FIELD_LIST,
                "title": "Key fields (B)",
                "description": "Defaults to the A key fields.",
            },
            "join": {"type": "string", "enum": ["left", "inner", "outer"], "default": "left"},
            "include_unpaired": {"type": "boolean", "title": "Include unpaired", "default": False},
        },
        "additionalProperties": False,
    }

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        if config.get("mode") == "merge_by_key" and not config.get("key_fields"):
            return [("key_fields", "Merge by key needs at least one key field.")]
        return []

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        a, b = inputs.get("a") or [], inputs.get("b") or []
        mode = self.config.get("mode", "append")
        out = ItemBuffer()
        if mode == "append":
            out.extend(a)
            out.extend(b)
        elif mode == "pair_by_index":
            if self.config.get("include_unpaired"):
                pairs = itertools.zip_longest(a, b, fillvalue={})
            else:
                pairs = zip(a, b, strict=False)
            out.extend({**x, **y} for x, y in pairs)
        else:
            self._merge_by_key(a, b, out)
        return {"main": out.result()}

    def _merge_by_key(self, a: Items, b: Items, out: ItemBuffer) -> None:
        keys_a = list(self.config.get("key_fields") or [])
        keys_b = list(self.config.get("key_fields_b") or keys_a)
        join = self.config.get("join", "left")
        # A streams through; B is looked up by key. A long (spooled) B stays on disk: memory holds its
        # keys and positions, not its items.
        by_position = ItemsByPosition() if is_spooled(b) else None
        lookup = by_position if by_position is not None else b
        by_key: dict[str, int] = {}
        for position, item in enumerate(b):  # one pass over B: its keys, and its copy when spooled
            if by_position is not None:
                by_position.append(item)
            by_key.setdefault(key_of(item, keys_b, None, {}), position)  # first B item per key wins
        used: set[str] = set()
        try:
            for item in a:
                key = key_of(item, keys_a, None, {})
                match = by_key.get(key)
                if match is not None and any(get_path(item, k) is not None for k in keys_a):
                    out.append({**item, **lookup[match]})
                    used.add(key)
                elif join != "inner":
                    out.append(dict(item))
            if join == "outer":
                out.extend(dict(lookup[p]) for key, p in by_key.items() if key not in used)
        finally:
            if by_position is not None:
                by_position.close()
