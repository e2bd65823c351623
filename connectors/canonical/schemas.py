"""Loading and checking the canonical JSON Schemas shipped in ``schemas/``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from connectors.errors import InvalidInput

SCHEMA_DIR = Path(__file__).with_name("schemas")
SCHEMA_VERSION = "1.0.0"
ENTITIES = (
    "customer",
    "contact",
    "opportunity",
    "project",
    "task",
    "resource",
    "assignment",
    "time_entry",
    "expense",
    "milestone",
    "invoice",
    "payment",
)


@cache
def load_schema(entity: str) -> dict[str, Any]:
    if entity not in ENTITIES:
        raise InvalidInput(f"Unknown canonical entity {entity!r}.", hint="One of: " + ", ".join(ENTITIES))
    return json.loads((SCHEMA_DIR / f"{entity}.json").read_text(encoding="utf-8"))


def validate_canonical(entity: str, data: Any) -> None:
    """Raise InvalidInput naming the first field that does not match the entity's schema."""
    validator = Draft202012Validator(load_schema(entity), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise InvalidInput(
            f"Canonical {entity} is invalid at {where}: {errors[0].message}", hint="Fix the mapping."
        )
