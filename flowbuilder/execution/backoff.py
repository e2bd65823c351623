"""When to try a failed node again: exponential backoff with jitter, Retry-After honoured and capped."""

from __future__ import annotations

import random


def retry_delay_s(
    attempt: int,
    *,
    backoff_s: float,
    retry_after: float | None,
    cap_s: float,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``.

    ``attempt`` counts from 1. A server's Retry-After wins (it knows its limits) but never beyond the cap;
    otherwise the delay doubles per attempt with "equal jitter" so retries from many runs spread out.
    """
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), cap_s)
    base = min(cap_s, max(0.0, backoff_s) * (2 ** max(0, attempt - 1)))
    rng = rng or random
    return base / 2 + rng.uniform(0, base / 2)
