"""Pause the cyclic garbage collector during one validation.

Checking a 5,000-node document allocates a few hundred thousand small objects; each allocation burst
triggers full collections that walk the whole (large) document again and again, which more than
doubles the time. Nothing here creates reference cycles worth collecting mid-call, so the collector
is paused for the call and restored afterwards (reference counting still frees memory).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
