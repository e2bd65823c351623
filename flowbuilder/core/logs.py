"""Structured logs: every record carries the run and organisation it was written for, as JSON lines.

The engine binds ``run_id`` and ``organisation_id`` while it works on a run (:func:`bound`, a context
variable, so threads and tasks never mix them up); :class:`ContextFilter` copies them onto every record
and :class:`JsonFormatter` writes one JSON object per line. ``LOG_FORMAT=json`` in the environment turns
it on (settings.LOGGING); plain text stays the default on a laptop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[dict[str, Any] | None] = ContextVar("flowbuilder_log_context", default=None)

FIELDS = ("run_id", "organisation_id", "flow_id", "node_id")


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Attach ``values`` (run_id, organisation_id, ...) to every record logged inside the block."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def annotate(**values: Any) -> None:
    """Add to the innermost :func:`bound` block's values (e.g. the organisation once the run is loaded);
    outside any block it does nothing."""
    current = _context.get()
    if current is not None:
        current.update({k: v for k, v in values.items() if v is not None})


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)
