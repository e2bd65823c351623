"""Reading the NetSuite contract fixtures (connectors/erp/netsuite/contracts/*.json) for both test families:
the connector's (it must send the documented request and read the documented answer) and the sandbox's (it
must accept the documented request and answer the documented shape, or refuse as NetSuite refuses).

A fixture: ``{"name", "source": {"url", "title"}, "request": {"method", "path", "query", "headers", "body"},
"response": {"status", "headers", "body"}, "connector": {...} | null, "sandbox": true | false, "auth"?,
"also"?, "note"}``. Two kinds of placeholder:

* ``{name}`` in a request (and in a connector's params and expected result): a value of the test's context,
  e.g. ``{customer}`` is a customer id, ``{uid}`` a fresh token for names and external ids;
* ``<kind>`` in a response: any value of that kind when matching (``<id>``, ``<number>``, ``<string>``,
  ``<date>``, ``<datetime>``, ``<bool>``, ``<list>``, ``<any>``; ``<base>`` is the API's base URL inside a
  string), and a sample value when the connector test plays the response back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parents[5] / "connectors" / "erp" / "netsuite" / "contracts"
SAMPLES: dict[str, Any] = {
    "<id>": "647",
    "<number>": 100.0,
    "<string>": "text",
    "<date>": "2026-01-05",
    "<datetime>": "2026-01-05T10:00:00Z",
    "<bool>": False,
    "<list>": [],
    "<any>": None,
}
_CONTEXT = re.compile(r"\{([a-z_]+)\}")


def load() -> list[dict[str, Any]]:
    fixtures = []
    for path in sorted(CONTRACTS.glob("*.json")):
        for fixture in json.loads(path.read_text(encoding="utf-8")):
            fixtures.append({**fixture, "file": path.stem})
    return fixtures


def fixture_id(fixture: dict[str, Any]) -> str:
    return f"{fixture['file']}: {fixture['name']}"


def fill(value: Any, context: dict[str, str]) -> Any:
    """Context placeholders (``{customer}``) replaced, recursively; a string that is exactly one
    placeholder keeps the context value's type."""
    if isinstance(value, str):
        whole = _CONTEXT.fullmatch(value)
        if whole and whole[1] in context:
            return context[whole[1]]
        return _CONTEXT.sub(lambda m: str(context.get(m[1], m[0])), value)
    if isinstance(value, dict):
        return {fill(k, context): fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, context) for v in value]
    return value


def sample(value: Any, base: str) -> Any:
    """Response placeholders replaced by sample values (the connector test plays the response back)."""
    if isinstance(value, str):
        if value in SAMPLES:
            return SAMPLES[value]
        return value.replace("<base>", base).replace("<id>", str(SAMPLES["<id>"]))
    if isinstance(value, dict):
        return {k: sample(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [sample(v, base) for v in value]
    return value


_KINDS = {
    "<id>": lambda v: isinstance(v, str) and v.isdigit(),
    "<number>": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "<string>": lambda v: isinstance(v, str),
    "<date>": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "<datetime>": lambda v: (
        isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", v) is not None
    ),
    "<bool>": lambda v: isinstance(v, bool),
    "<list>": lambda v: isinstance(v, list),
    "<any>": lambda v: True,
}


def _pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"(<base>|<id>)", text)
    rx = "".join(
        r"https?://[^\s]+?" if p == "<base>" else r"\d+" if p == "<id>" else re.escape(p) for p in parts
    )
    return re.compile(rx)


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where ``actual`` departs from the documented ``expected``: every key of an expected object must be
    there (more keys are fine: documented bodies are shortened), every placeholder must hold its kind,
    every literal must be equal; an expected list's items match the actual items in order."""
    if isinstance(expected, str) and expected in _KINDS:
        return [] if _KINDS[expected](actual) else [f"{where or '(root)'}: {actual!r} is not {expected}"]
    if isinstance(expected, str) and ("<base>" in expected or "<id>" in expected):
        ok = isinstance(actual, str) and _pattern(expected).fullmatch(actual)
        return [] if ok else [f"{where}: {actual!r} does not match {expected!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '(root)'}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{where}: expected at least {len(expected)} items, got {actual!r}"]
        problems = []
        for n, value in enumerate(expected):
            problems += mismatches(value, actual[n], f"{where}[{n}]")
        return problems
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool) and float(actual) == expected
        return [] if ok else [f"{where}: {actual!r} != {expected!r}"]
    return [] if expected == actual else [f"{where}: {actual!r} != {expected!r}"]
