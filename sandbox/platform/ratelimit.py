"""Per-system requests-per-second limit (sliding one-second window) and NetSuite's concurrency gate."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def check(self, system: str, rate: float) -> float | None:
        """Record a request; return seconds to wait (for Retry-After) when over the limit, else None."""
        if rate <= 0:
            return None
        now = time.monotonic()
        window = 1.0
        allowed = max(1, int(rate))
        with self._lock:
            hits = self._hits.setdefault(system, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= allowed:
                return max(0.0, hits[0] + window - now)
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    @staticmethod
    def retry_after_header(wait: float) -> str:
        return str(max(1, math.ceil(wait)))


class ConcurrencyGate:
    """Counts in-flight requests per key; refuses (returns False) at the limit instead of queueing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[str, int] = {}

    @contextmanager
    def slot(self, key: str, limit: int) -> Iterator[bool]:
        with self._lock:
            current = self._inflight.get(key, 0)
            granted = limit <= 0 or current < limit
            if granted:
                self._inflight[key] = current + 1
        try:
            yield granted
        finally:
            if granted:
                with self._lock:
                    self._inflight[key] -= 1
