"""What happened when one node ran, in plain data the engine can write or keep in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowbuilder.nodes.base import PortItems


@dataclass
class Outcome:
    status: str  # succeeded | failed | skipped | retrying | waiting
    outputs: PortItems = field(default_factory=dict)
    error: dict[str, Any] | None = None
    retry_in_s: float | None = None
    attempt: int = 1
    input_counts: dict[str, int] = field(default_factory=dict)
    started_at: Any = None
    finished_at: Any = None
    duration_ms: float | None = None
    # "continue" on error: the node failed but the run goes on with its input passed through.
    continued: bool = False
    # A parked node (status waiting): when it runs again on its own (None: when something arrives) and
    # the memory it keeps meanwhile.
    wake_at: Any = None
    suspend_state: dict[str, Any] | None = None

    @property
    def output_counts(self) -> dict[str, int]:
        return {port: len(items) for port, items in self.outputs.items()}
