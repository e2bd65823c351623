"""Echo suppression: remember the records our flows wrote, and recognise the changes those writes cause.

A flow that writes back to the system its trigger polls (a Closed Won opportunity stamped with the new
project's id) would otherwise start itself again on its own write. The executor marks every record a
connector write touched (:func:`mark_written`); the polling trigger asks :func:`own_writes` which of the
changes it found are those marks. A change matches a mark of the same organisation, system, object and
record when its version equals the version the write answered with, or, when the write answered with
none, when the change's last-modified time is within ``FLOWBUILDER_ECHO_EPSILON_S`` of our write.

A person changing the same record later is a different version (and later than the epsilon): it starts
a run as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connectors.base import RecordRef

from .models import WriteMark

MAX_VERSION_CHARS = 64


def mark_written(
    organisation_id: int,
    system: str,
    refs: Iterable[RecordRef],
    *,
    written_at: datetime | None = None,
    flow_id: int | None = None,
) -> int:
    """Store a mark per written record (one INSERT for all); returns how many."""
    now = written_at or timezone.now()
    expires = now + timedelta(seconds=settings.FLOWBUILDER_ECHO_WINDOW_S)
    rows = [
        WriteMark(
            organisation_id=organisation_id,
            system=system,
            object=ref.object.lower()[:100],
            record_id=ref.id[:255],
            version=ref.version[:MAX_VERSION_CHARS],
            modified_at=ref.modified_at,
            written_at=now,
            expires_at=expires,
            flow_id=flow_id,
        )
        for ref in refs
        if ref.id
    ]
    WriteMark.objects.bulk_create(rows)
    return len(rows)


def own_writes(
    organisation_id: int, system: str, refs: Sequence[RecordRef | None], *, flow_id: int | None = None
) -> set[int]:
    """The indexes of ``refs`` that are echoes of our own writes (None entries are never echoes).

    With ``flow_id``, only that flow's writes (and writes made outside any flow) count: another flow's
    write is news for this one (a posted invoice starts billing to cash)."""
    wanted = {ref.id for ref in refs if ref is not None and ref.id}
    if not wanted:
        return set()
    marks: dict[str, list[WriteMark]] = {}
    rows = WriteMark.objects.filter(
        organisation_id=organisation_id,
        system=system,
        record_id__in=wanted,
        expires_at__gt=timezone.now(),
    )
    if flow_id is not None:
        rows = rows.filter(Q(flow_id=flow_id) | Q(flow_id__isnull=True))
    rows = rows.only("object", "record_id", "version", "modified_at", "written_at")
    for mark in rows:
        marks.setdefault(mark.record_id, []).append(mark)
    epsilon = timedelta(seconds=settings.FLOWBUILDER_ECHO_EPSILON_S)
    return {
        index
        for index, ref in enumerate(refs)
        if ref is not None and any(_matches(mark, ref, epsilon) for mark in marks.get(ref.id, ()))
    }


def _matches(mark: WriteMark, ref: RecordRef, epsilon: timedelta) -> bool:
    if mark.object and ref.object and mark.object != ref.object.lower():
        return False
    if mark.modified_at is not None and ref.modified_at is not None:
        return mark.modified_at == ref.modified_at
    if mark.version:
        return mark.version == ref.version
    # The write answered without a version: our clock's write time against the system's change time.
    when: Any = ref.modified_at
    return when is not None and abs(when - mark.written_at) <= epsilon


def prune(now: datetime | None = None) -> int:
    """Delete expired marks; returns how many."""
    deleted, _ = WriteMark.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
