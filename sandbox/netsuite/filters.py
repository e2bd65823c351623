"""The record API's ``q`` filter on collections (``GET .../customer?q=companyName START_WITH "Acme"``):
``field OPERATOR value`` conditions joined by AND/OR, AND binding tighter, as Record Collection Filtering
documents them (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545222128.html)."""

from __future__ import annotations

import re
from typing import Any

from ..platform.timeutil import parse_iso
from .records import NsError
from .schema import RecordType

_OPS = {
    "IS": "=",
    "IS_NOT": "!=",
    "EQUAL": "=",
    "EQUAL_NOT": "!=",
    "GREATER": ">",
    "GREATER_OR_EQUAL": ">=",
    "LESS": "<",
    "LESS_OR_EQUAL": "<=",
    "AFTER": ">",
    "BEFORE": "<",
    "ON": "=",
    "ON_OR_AFTER": ">=",
    "ON_OR_BEFORE": "<=",
    "START_WITH": "start",
    "START_WITH_NOT": "!start",
    "CONTAIN": "contain",
    "CONTAIN_NOT": "!contain",
    "END_WITH": "end",
    "EMPTY": "empty",
    "EMPTY_NOT": "!empty",
    "ANY_OF": "any",
}
_COND = re.compile(
    r'\s*([A-Za-z_][A-Za-z0-9_]*)\s+([A-Z_]+)\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"]+)?\s*', re.S
)


def record_filter(query: str, spec: RecordType) -> Any:
    """The record API's `q` filter: `field OP value` joined by AND/OR (AND binds tighter)."""
    pos, groups, current = 0, [], []
    while pos < len(query):
        m = _COND.match(query, pos)
        if not m or m[2] not in _OPS:
            raise NsError(400, "INVALID_PARAMETER", f"Invalid query: {query[pos : pos + 40]}")
        current.append((m[1], _OPS[m[2]], (m[3] or "").strip('"')))
        pos = m.end()
        join = re.match(r"(AND|OR)\s+", query[pos:])
        if join:
            pos += join.end()
            if join[1] == "OR":
                groups.append(current)
                current = []
        elif pos < len(query):
            raise NsError(400, "INVALID_PARAMETER", f"Invalid query near: {query[pos : pos + 40]}")
    groups.append(current)

    def check(record: dict[str, Any], name: str, op: str, raw: str) -> bool:
        ftype = spec.fields.get(name, "string")
        value = record.get(name)
        if op in ("empty", "!empty"):
            return (value in (None, "")) == (op == "empty")
        if value is None:
            return op.startswith("!")
        if op == "any":
            return str(value) in {v.strip().strip('"') for v in raw.strip("[]").split(",")}
        if ftype in ("date", "datetime"):
            left, right = _ns_date(str(value)), _ns_date(raw)
            if left is None or right is None:
                return False
            if ftype == "datetime" and op in ("=",):
                return left.date() == right.date()
        elif ftype in ("number", "integer"):
            try:
                left, right = float(value), float(raw)
            except ValueError:
                return False
        elif ftype == "bool":
            return (str(value).lower() == raw.lower()) == (op == "=")
        else:
            left, right = str(value).lower(), raw.lower()
        result = {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
            "start": str(left).startswith(str(right)),
            "!start": not str(left).startswith(str(right)),
            "contain": str(right) in str(left),
            "!contain": str(right) not in str(left),
            "end": str(left).endswith(str(right)),
        }
        return result[op]

    return lambda r: any(all(check(r, *cond) for cond in group) for group in groups)


def _ns_date(text: str) -> Any:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if m:
        return parse_iso(f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}")
    return parse_iso(text)
