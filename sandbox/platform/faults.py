"""Injectable faults: error statuses, latency, dropped connections and token expiry, each for N requests,
for one system or all, one tenant or all."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("status", "latency", "timeout", "expire_tokens")


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    id: int
    system: str | None  # None: every system
    path_prefix: str  # relative to the system prefix, e.g. /services/rest/record
    kind: str
    status: int = 500
    count: int = 1  # requests still affected; -1 = until cleared
    latency_ms: int = 0
    method: str | None = None
    tenant: str | None = None  # None: every tenant
    retry_after: int | None = None  # Retry-After seconds on a 429 or 503 (default 1)

    def matches(self, system: str, tenant: str, sub_path: str, method: str) -> bool:
        return (
            (self.system is None or self.system == system)
            and (self.tenant is None or self.tenant == tenant)
            and sub_path.startswith(self.path_prefix)
            and (self.method is None or self.method == method)
        )


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any], systems: tuple[str, ...], tenants: tuple[str, ...] = ()) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}")
        system = spec.get("system") or None
        if system is not None and system not in systems:
            raise FaultError(f"unknown system {system!r}")
        tenant = spec.get("tenant") or None
        if tenant is not None and tenants and tenant not in tenants:
            raise FaultError(f"unknown tenant {tenant!r}")
        prefix = str(spec.get("path_prefix") or "")
        if system and prefix.startswith(f"/{system}/"):
            prefix = prefix[len(system) + 1 :]  # accept the full sandbox path too
        spec = {k: v for k, v in spec.items() if v not in ("", None)}  # empty form fields: the defaults
        try:
            fault = Fault(
                id=next(self._ids),
                system=system,
                path_prefix=prefix,
                kind=kind,
                status=int(spec.get("status", 500)),
                count=int(spec.get("count", 1)),
                latency_ms=int(spec.get("latency_ms", 30000 if kind == "timeout" else 1000)),
                method=(spec.get("method") or "").upper() or None,
                tenant=tenant,
                retry_after=int(spec["retry_after"]) if spec.get("retry_after") not in (None, "") else None,
            )
        except (TypeError, ValueError) as exc:
            raise FaultError(f"bad fault field: {exc}") from exc
        if not 100 <= fault.status <= 599:
            raise FaultError("status must be an HTTP status code")
        if fault.count == 0 or fault.count < -1:
            raise FaultError("count must be a positive number of requests, or -1 (until cleared)")
        if fault.latency_ms < 0 or (fault.retry_after is not None and fault.retry_after < 0):
            raise FaultError("latency_ms and retry_after must not be negative")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, system: str, tenant: str, sub_path: str, method: str) -> list[Fault]:
        """Consume one use of every matching fault (so latency and status can be combined)."""
        hit: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if fault.matches(system, tenant, sub_path, method):
                    hit.append(fault)
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self._faults.remove(fault)
        return hit

    def clear(self, system: str | None = None, tenant: str | None = None, fault_id: int | None = None) -> int:
        """Remove the faults of a system and/or tenant (all when neither is given), or one by id."""

        def goes(f: Fault) -> bool:
            if fault_id is not None:
                return f.id == fault_id
            return (not system or f.system == system) and (not tenant or f.tenant == tenant)

        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if not goes(f)]
            return before - len(self._faults)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]
