"""A stand-in for ``time.sleep`` (and the clock it moves): tests see the waits without waiting."""

from __future__ import annotations


class FakeSleep:
    """Records requested sleeps instead of sleeping, and advances a fake clock accordingly."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now
