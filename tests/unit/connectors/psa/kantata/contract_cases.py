"""Kantata's contract fixtures (connectors/psa/kantata/contracts/*.json) for both test families: loading,
filling the placeholders of a request, making a concrete answer from a documented one, and matching an
answer against the documented shape.

Placeholders: ``{name}`` in a request is an id the test provides (``{ws}``, ``{entry}``, ...), and
``{int:name}`` the same id as a JSON number (Kantata's bulk bodies document integer ids);
``<idempotency-key>`` is the key the create was run with; in a response, ``<id>`` (also as a key of a
keyed collection), ``<string>``, ``<int>``, ``<bool>``, ``<date>``, ``<date-time>`` and ``<any>`` stand for
a value of that kind. A documented object matches an answer that has at least its keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parents[5] / "connectors" / "psa" / "kantata" / "contracts"
KEY = "<idempotency-key>"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CONTRACTS.glob("*.json")):
        for case in json.loads(path.read_text()):
            cases.append({**case, "file": path.stem})
    return cases


def case_id(case: dict[str, Any]) -> str:
    return f"{case['file']}: {case['name']}"


def fill(value: Any, ids: dict[str, str]) -> Any:
    """A request with its ``{name}`` ids (and the idempotency key) put in."""
    if isinstance(value, str):
        if value == KEY:
            return ids.get("key", KEY)
        number = re.fullmatch(r"\{int:(\w+)\}", value)
        if number and number.group(1) in ids:
            return int(ids[number.group(1)])
        match = re.fullmatch(r"\{(\w+)\}", value)
        if match and match.group(1) in ids:
            return ids[match.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {fill(k, ids): fill(v, ids) for k, v in value.items()}
    return value


_CONCRETE = {
    "<id>": "5000001",
    "<string>": "text",
    "<int>": 1,
    "<bool>": True,
    "<date>": "2026-02-03",
    "<date-time>": "2026-02-03T10:00:00+00:00",
    "<any>": None,
}


def concrete(value: Any) -> Any:
    """A documented answer with a value of each placeholder's kind, as a server would send it."""
    if isinstance(value, str):
        return _CONCRETE.get(value, value)
    if isinstance(value, list):
        return [concrete(v) for v in value]
    if isinstance(value, dict):
        return {concrete(k): concrete(v) for k, v in value.items()}
    return value


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where ``actual`` differs from the documented ``expected`` (empty: it matches)."""
    if isinstance(expected, str) and expected.startswith("<") and expected.endswith(">"):
        ok = {
            "<any>": True,
            "<id>": isinstance(actual, str) and actual.isdigit(),
            "<string>": isinstance(actual, str),
            "<int>": isinstance(actual, int) and not isinstance(actual, bool),
            "<bool>": isinstance(actual, bool),
            "<date>": isinstance(actual, str) and bool(_DATE.match(actual)),
            "<date-time>": isinstance(actual, str) and bool(_DATETIME.match(actual)),
        }.get(expected, expected == actual)
        return [] if ok else [f"{path}: {actual!r} is not {expected}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        out: list[str] = []
        for key, want in expected.items():
            if key == "<id>":  # a keyed collection: every entry has the documented shape
                if not actual:
                    out.append(f"{path}: no records")
                for rid, got in actual.items():
                    out += [f"{path}: key {rid!r} is not an id"] if not str(rid).isdigit() else []
                    out += mismatches(want, got, f"{path}.{rid}")
            elif key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out += mismatches(want, actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: {actual!r} is not a list"]
        if expected and not actual:
            return [f"{path}: empty"]
        return (
            [m for i, got in enumerate(actual) for m in mismatches(expected[0], got, f"{path}[{i}]")]
            if expected
            else []
        )
    return [] if expected == actual else [f"{path}: {actual!r} != {expected!r}"]
