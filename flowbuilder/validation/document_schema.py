"""The JSON Schema of a flow document (schema_version 1) and the findings it produces."""

from __future__ import annotations

from typing import Any

import jsonschema

from .fast_schema import compile_checker
from .findings import Finding

MAX_SCHEMA_FINDINGS = 100

POSITION = {
    "type": "object",
    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
    "required": ["x", "y"],
}
RETRY = {
    "type": "object",
    "properties": {
        "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
        "backoff_s": {"type": "number", "minimum": 0, "maximum": 3600},
        "rate_limit_deadline_s": {"type": "number", "minimum": 0, "maximum": 86400},
    },
    "additionalProperties": False,
}
NODE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 100},
        "type": {"type": "string", "minLength": 1, "maxLength": 200},
        "label": {"type": "string", "maxLength": 200},
        "position": POSITION,
        "config": {"type": "object"},
        "retry": RETRY,
        "on_error": {"enum": ["fail", "continue", "error_port"]},
        # The saga: what undoes this node's effect when a later node fails finally (runs in reverse order).
        "compensation": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "minLength": 1, "maxLength": 200},
                "config": {"type": "object"},
                "retry": RETRY,
            },
            "required": ["type"],
            "additionalProperties": False,
        },
        "disabled": {"type": "boolean"},
        "notes": {"type": "string", "maxLength": 10000},
    },
    "required": ["id", "type"],
}
EDGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 100},
        "source": {"type": "string", "minLength": 1},
        "source_port": {"type": "string", "minLength": 1},
        "target": {"type": "string", "minLength": 1},
        "target_port": {"type": "string", "minLength": 1},
    },
    "required": ["id", "source", "target"],
}
STICKY_NOTE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "text": {"type": "string", "maxLength": 20000},
        "position": POSITION,
        "size": {"type": "object"},
    },
    "required": ["id"],
}
# Presentation only (see validation.groups): a box around nodes in the editor, collapsible to one node.
GROUP = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 100},
        "label": {"type": "string", "maxLength": 200},
        "nodes": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
        },
        "collapsed": {"type": "boolean"},
    },
    "required": ["id", "nodes"],
}
GROUPS = {"type": "array", "items": GROUP}
DOCUMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "schema_version": {"const": 1},
        "nodes": {"type": "array", "items": NODE},
        "edges": {"type": "array", "items": EDGE},
        "notes": {"type": "array", "items": STICKY_NOTE},
        "settings": {"type": "object"},
        "groups": GROUPS,
    },
    "required": ["schema_version", "nodes", "edges"],
}

_fast_check = compile_checker(DOCUMENT_SCHEMA)
_validator = jsonschema.Draft202012Validator(DOCUMENT_SCHEMA)


def _locate(doc: dict[str, Any], path: list[Any]) -> tuple[str | None, str | None, str]:
    """(node_id, edge_id, field) for an error path such as ['nodes', 3, 'position', 'x']."""
    if len(path) >= 2 and path[0] in ("nodes", "edges") and isinstance(path[1], int):
        entry = doc[path[0]][path[1]]
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        entry_id = entry_id if isinstance(entry_id, str) else None
        field = ".".join(str(p) for p in path[2:])
        label = f"{path[0][:-1]} {entry_id or '#' + str(path[1])}"
        if path[0] == "nodes":
            return entry_id, None, field or label
        return None, entry_id, field or label
    if len(path) >= 2 and path[0] == "groups" and isinstance(path[1], int):
        return None, None, "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)[1:]
    return None, None, ".".join(str(p) for p in path)


def schema_findings(doc: dict[str, Any]) -> list[Finding]:
    """Findings for the document's shape; fast when the document is valid (the usual case)."""
    if _fast_check is not None and _fast_check(doc):
        return []
    findings = []
    for error in _validator.iter_errors(doc):
        path = list(error.absolute_path)
        node_id, edge_id, field = _locate(doc, path)
        where = f"'{field}'" if field else "the document"
        findings.append(
            Finding(
                "document_schema",
                f"In {where}: {error.message}. Fix this value (the editor normally writes it).",
                node_id=node_id,
                edge_id=edge_id,
                field=field or None,
            )
        )
        if len(findings) >= MAX_SCHEMA_FINDINGS:
            break
    return findings
