"""Keep the heartbeat of runs and claimed nodes fresh while this process works on them.

One daemon thread per process stamps ``heartbeat_at = now()`` (database time) every
FLOWBUILDER_HEARTBEAT_S for what is in progress, so the sweeper can tell a slow node from a dead worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models.functions import Now

log = logging.getLogger(__name__)

_lock = threading.Lock()
_active: dict[int, list[Callable[[], list[int]]]] = {}
_thread_pid: int | None = None


def _beat_once() -> None:
    with _lock:
        runs = {run_id: list(fns) for run_id, fns in _active.items() if fns}
    if not runs:
        return
    from .models import NodeRun, Run

    row_ids: list[int] = []
    for fns in runs.values():
        for fn in fns:
            with contextlib.suppress(Exception):
                row_ids.extend(fn())
    Run.objects.filter(pk__in=list(runs)).update(heartbeat_at=Now())
    if row_ids:
        NodeRun.objects.filter(pk__in=row_ids).update(heartbeat_at=Now())


def _loop() -> None:
    interval = settings.FLOWBUILDER_HEARTBEAT_S
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            close_old_connections()
            _beat_once()
        except Exception:
            log.warning("heartbeat failed", exc_info=True)
            connection.close()


def _ensure_thread() -> None:
    global _thread_pid
    if _thread_pid == os.getpid():
        return
    _thread_pid = os.getpid()
    threading.Thread(target=_loop, name="fb-heartbeat", daemon=True).start()


@contextlib.contextmanager
def beating(run_id: int, claimed_rows: Callable[[], list[int]]) -> Iterator[None]:
    with _lock:
        _ensure_thread()
        _active.setdefault(run_id, []).append(claimed_rows)
    try:
        yield
    finally:
        with _lock:
            fns = _active.get(run_id, [])
            if claimed_rows in fns:
                fns.remove(claimed_rows)
            if not fns:
                _active.pop(run_id, None)
