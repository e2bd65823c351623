"""The contract fixtures of the Salesforce and Certinia connectors (``connectors/.../contracts/*.json``):
loading, placeholders and matching, shared by the connector-side and the sandbox-side tests.

A fixture is one documented exchange: ``request`` (method, path, query, headers, body) and ``response``
(status, headers, body), the connector ``action`` and ``input`` that should produce the request, the
``source`` page and a ``note``. Values that vary are placeholders: ``{account_id}``, ``{ext}`` ... are
filled in by each side (fixed fakes for the connector, real records for the sandbox); in responses
``{any}`` and ``{new_id}`` match any value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[5]
FOLDERS = {
    "salesforce": ROOT / "connectors/crm/salesforce/contracts",
    "certinia": ROOT / "connectors/psa/certinia/contracts",
}
WILDCARDS = ("any", "new_id")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def load(system: str) -> list[dict[str, Any]]:
    """Every fixture of a system, each with its file name, in file order."""
    out = []
    for path in sorted(FOLDERS[system].glob("*.json")):
        for fixture in json.loads(path.read_text())["fixtures"]:
            out.append({**fixture, "file": path.name})
    return out


def ids(fixtures: list[dict[str, Any]]) -> list[str]:
    return [f"{f['file'][:-5]}: {f['name']}" for f in fixtures]


def placeholders(value: Any) -> set[str]:
    """The placeholder names a value uses (to know which records a fixture needs)."""
    return set(_PLACEHOLDER.findall(json.dumps(value)))


def fill(value: Any, values: dict[str, Any]) -> Any:
    """Placeholders replaced by their values (a string that is one placeholder takes the value's type)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {fill(k, values): fill(v, values) for k, v in value.items()}
    return value


def _pattern(text: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(text)
    regex = "".join(re.escape(p) if i % 2 == 0 else "(?s:.+)" for i, p in enumerate(parts))
    return re.compile(regex)


def mismatch(expected: Any, actual: Any, path: str = "body") -> str | None:
    """Why ``actual`` does not have the documented shape (None when it does). Objects may carry more
    keys than documented; lists have the documented length; wildcard placeholders match anything."""
    if isinstance(expected, str) and _PLACEHOLDER.fullmatch(expected):
        if _PLACEHOLDER.fullmatch(expected).group(1) in WILDCARDS:
            return None
    if isinstance(expected, str) and _PLACEHOLDER.search(expected):
        ok = isinstance(actual, str) and _pattern(expected).fullmatch(actual)
        return None if ok else f"{path}: {actual!r} does not match {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} is missing"
            found = mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {len(expected)} items, got {actual!r}"
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = mismatch(e, a, f"{path}[{n}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if expected is actual else f"{path}: {actual!r} != {expected!r}"
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return None if float(expected) == float(actual) else f"{path}: {actual!r} != {expected!r}"
    return None if expected == actual else f"{path}: {actual!r} != {expected!r}"
