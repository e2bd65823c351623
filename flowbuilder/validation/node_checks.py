"""Per-node checks: known type, config against the type's JSON Schema, extra checks, expressions."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema

from flowbuilder.nodes.base import BaseNode
from flowbuilder.nodes.expressions import check_field, check_template

from .fast_schema import Check, compile_checker
from .findings import Finding

MAX_CONFIG_FINDINGS = 20


@functools.lru_cache(maxsize=1024)
def config_validators(node_cls: type[BaseNode]) -> tuple[Check | None, Any]:
    """(fast checker or None, jsonschema validator) for a node type, built once per type."""
    schema = node_cls.config_schema
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return compile_checker(schema), validator_cls(schema)


def config_findings(node_id: str, node_cls: type[BaseNode], config: dict[str, Any]) -> list[Finding]:
    fast, validator = config_validators(node_cls)
    if fast is not None and fast(config):
        return []
    findings = []
    for error in validator.iter_errors(config):
        if _is_template_value(error):
            continue
        field = ".".join(str(p) for p in error.absolute_path) or None
        where = f"Setting '{field}'" if field else "The settings"
        findings.append(
            Finding(
                "config_invalid",
                f"{where} of this {node_cls.label} node: {error.message}. Correct it in the inspector.",
                node_id=node_id,
                field=field,
            )
        )
        if len(findings) >= MAX_CONFIG_FINDINGS:
            break
    return findings


# What a string must look like (an id pattern, a date format, a length) is only known once a ``{{ }}``
# template is rendered: the action checks the rendered value when the node runs.
_CHECKED_WHEN_RENDERED = frozenset({"pattern", "format", "minLength", "maxLength"})


def _is_template_value(error: jsonschema.ValidationError) -> bool:
    text = error.instance
    if not isinstance(text, str) or "{{" not in text or "}}" not in text:
        return False
    if error.validator in _CHECKED_WHEN_RENDERED:
        return True
    # A setting that is one whole ``{{ expr }}`` renders to the expression's value (a list of ids, a
    # number): its type is only known then, and the action checks it.
    whole = text.strip()
    return (
        error.validator == "type"
        and whole.startswith("{{")
        and whole.endswith("}}")
        and whole.count("{{") == 1
    )


def extra_findings(node_id: str, node_cls: type[BaseNode], config: dict[str, Any]) -> list[Finding]:
    try:
        extra = node_cls.extra_findings(config)
    except Exception as exc:  # a node's own check must not break validation of the whole flow
        return [Finding("config_check_failed", f"Could not check the settings: {exc}", node_id=node_id)]
    return [Finding("config_invalid", str(msg), node_id=node_id, field=field) for field, msg in extra]


def _values_at(value: Any, parts: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    """Values at a path like ``rules[].condition`` (``[]`` walks every list entry)."""
    if not parts:
        yield prefix, value
        return
    head, rest = parts[0], parts[1:]
    walk_list = head.endswith("[]")
    key = head[:-2] if walk_list else head
    if not isinstance(value, dict) or key not in value:
        return
    child = value[key]
    path = f"{prefix}.{key}" if prefix else key
    if walk_list:
        for i, entry in enumerate(child if isinstance(child, list) else []):
            yield from _values_at(entry, rest, f"{path}.{i}")
    else:
        yield from _values_at(child, rest, path)


def _strings(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield prefix, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{prefix}.{i}" if prefix else str(i))


def expression_findings(node_id: str, node_cls: type[BaseNode], config: dict[str, Any]) -> list[Finding]:
    findings = []
    checked: set[str] = set()
    for spec in node_cls.expression_fields:
        for field, value in _values_at(config, spec.split("."), ""):
            checked.add(field)
            if isinstance(value, str) and not value.strip():
                continue  # empty optional expression; required ones are caught by the schema
            problem = check_field(value)
            if problem:
                findings.append(_expression_finding(node_id, field, problem))
    for field, text in _strings(config, ""):
        if field not in checked and "{{" in text:
            problem = check_template(text)
            if problem:
                findings.append(_expression_finding(node_id, field, problem))
    return findings


def _expression_finding(node_id: str, field: str, problem: str) -> Finding:
    return Finding(
        "expression_invalid",
        f"{problem.rstrip('.')}. Fix the expression in '{field}'.",
        node_id=node_id,
        field=field,
    )
