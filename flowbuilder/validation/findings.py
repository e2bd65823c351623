"""The unit of validation output: one problem, pinned to a node, an edge or a field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    code: str
    message: str  # says what is wrong and what to do about it
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "node_id": self.node_id,
            "edge_id": self.edge_id,
            "field": self.field,
            "severity": self.severity,
        }
