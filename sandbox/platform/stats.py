"""Request counters per system/method/path/object/status, for tests and benchmarks to assert on; the same
counters per tenant too (`tenants`)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_GROUPS = ("by_method", "by_path", "by_object", "by_status")


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[str, Counter[str]]] = {}
        self._tenants: dict[str, dict[str, dict[str, Counter[str]]]] = {}

    def record(self, system: str, method: str, path: str, obj: str, status: int, tenant: str = "") -> None:
        with self._lock:
            targets = [self._counters.setdefault(system, {k: Counter() for k in _GROUPS})]
            if tenant:
                per_tenant = self._tenants.setdefault(tenant, {})
                targets.append(per_tenant.setdefault(system, {k: Counter() for k in _GROUPS}))
            for groups in targets:
                groups["by_method"][method] += 1
                groups["by_path"][f"{method} {path}"] += 1
                if obj:
                    groups["by_object"][f"{method} {obj}"] += 1
                groups["by_status"][str(status)] += 1

    @staticmethod
    def _shape(counters: dict[str, dict[str, Counter[str]]]) -> dict[str, Any]:
        return {
            name: {"total": sum(g["by_method"].values()), **{k: dict(v) for k, v in g.items()}}
            for name, g in counters.items()
        }

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            systems = self._shape(self._counters)
            tenants = {t: self._shape(c) for t, c in self._tenants.items()}
        return {"total": sum(s["total"] for s in systems.values()), "systems": systems, "tenants": tenants}

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._tenants.clear()
