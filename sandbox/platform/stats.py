"""Request counters per system/method/path/object/status, for tests and benchmarks to assert on."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[str, Counter[str]]] = {}

    def record(self, system: str, method: str, path: str, obj: str, status: int) -> None:
        with self._lock:
            groups = self._counters.setdefault(
                system, {k: Counter() for k in ("by_method", "by_path", "by_object", "by_status")}
            )
            groups["by_method"][method] += 1
            groups["by_path"][f"{method} {path}"] += 1
            if obj:
                groups["by_object"][f"{method} {obj}"] += 1
            groups["by_status"][str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            systems = {
                name: {"total": sum(g["by_method"].values()), **{k: dict(v) for k, v in g.items()}}
                for name, g in self._counters.items()
            }
        return {"total": sum(s["total"] for s in systems.values()), "systems": systems}

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
