"""Reading the Business Central contract fixtures (connectors/erp/dynamics/contracts/*.json) for both test
families: the connector's (it must send the documented request and read the documented answer) and the
sandbox's (it must accept the documented request and answer the documented shape, or refuse as Business
Central refuses, with ``{"error": {"code", "message"}}``).

The fixture format is the NetSuite one (see connectors/erp/dynamics/contracts/README.md). Placeholders:

* ``{name}`` in a request (and in a connector's params and expected result): a value of the test's context,
  e.g. ``{customer}`` is a customer id, ``{uid}`` a fresh token for numbers and document numbers;
* ``<kind>`` in a response: any value of that kind when matching (``<guid>``, ``<etag>``, ``<number>``,
  ``<string>``, ``<date>``, ``<datetime>``, ``<bool>``, ``<list>``, ``<any>``; ``<base>`` is the API's
  base URL inside a string), and a sample value when the connector test plays the response back.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parents[5] / "connectors" / "erp" / "dynamics" / "contracts"
SAMPLE_GUID = "5d115c9c-44e3-ea11-bb43-000d3a2feca1"
SAMPLES: dict[str, Any] = {
    "<guid>": SAMPLE_GUID,
    "<etag>": 'W/"JzE5OzEyMzQ1Njc4OTAxMjM0NTY3ODk7Jw=="',
    "<number>": 100.0,
    "<string>": "text",
    "<date>": "2026-01-05",
    "<datetime>": "2026-01-05T10:00:00.000Z",
    "<bool>": False,
    "<list>": [],
    "<any>": None,
}
_CONTEXT = re.compile(r"\{([a-z_]+)\}")
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def load() -> list[dict[str, Any]]:
    fixtures = []
    for path in sorted(CONTRACTS.glob("*.json")):
        for fixture in json.loads(path.read_text(encoding="utf-8")):
            fixtures.append({**fixture, "file": path.stem})
    return fixtures


def fixture_id(fixture: dict[str, Any]) -> str:
    return f"{fixture['file']}: {fixture['name']}"


def fill(value: Any, context: dict[str, Any]) -> Any:
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
        return value.replace("<base>", base).replace("<guid>", SAMPLE_GUID)
    if isinstance(value, dict):
        return {k: sample(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [sample(v, base) for v in value]
    return value


_KINDS = {
    "<guid>": lambda v: isinstance(v, str) and re.fullmatch(_GUID, v) is not None,
    "<etag>": lambda v: isinstance(v, str) and v.startswith('W/"'),
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
    parts = re.split(r"(<base>|<guid>)", text)
    rx = "".join(
        r"https?://[^\s]+?" if p == "<base>" else _GUID if p == "<guid>" else re.escape(p) for p in parts
    )
    return re.compile(rx)


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where ``actual`` departs from the documented ``expected``: every key of an expected object must be
    there (more keys are fine: documented bodies are shortened), every placeholder must hold its kind,
    every literal must be equal; an expected list's items match the actual items in order."""
    if isinstance(expected, str) and expected in _KINDS:
        return [] if _KINDS[expected](actual) else [f"{where or '(root)'}: {actual!r} is not {expected}"]
    if isinstance(expected, str) and ("<base>" in expected or "<guid>" in expected):
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
