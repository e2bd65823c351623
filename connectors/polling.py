"""Polling on a last-modified timestamp without gaps or duplicates: the part every connector shares.

The cursor is ``{"ts": <newest timestamp emitted>, "ids": [ids emitted at exactly that timestamp]}``.
A poll asks the system for records with ``timestamp >= ts`` (each system in its own query language),
in timestamp order, and hands them to :func:`collect`, which skips what is older or was already emitted
at ``ts`` and moves the cursor. Records sharing a timestamp are neither lost (``>`` would lose the ones
that arrive after a poll) nor emitted twice (``>=`` alone would repeat them); a poll that stops at its
limit leaves the cursor in the middle of a timestamp, and the id list covers that too.

A record is emitted only once its timestamp has settled: :data:`SETTLE` after the end of its second.
The systems keep these timestamps to the second (NetSuite, Kantata, Salesforce's are whole seconds), so
a second change to a record within the second of an emitted one would carry the same timestamp and id,
and the cursor (and the scheduler's one-run-per-version) would take it for the change already seen: a
payment applied right after another one was never shown. Waiting until the second is over (plus a
margin for clock skew and for writes that commit after they were stamped) means the version emitted is
the last of its second. Records not settled yet are left for the next poll (``PollResult.held``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from connectors.base import PollResult, RecordRef
from connectors.errors import InvalidInput

R = TypeVar("R")

SETTLE = timedelta(seconds=1)  # the default of FLOWBUILDER_POLL_SETTLE_S


def set_settle_margin(seconds: float) -> None:
    """Set :data:`SETTLE` (the product sets it from ``FLOWBUILDER_POLL_SETTLE_S`` at start-up; this package
    does not read Django's settings)."""
    global SETTLE
    SETTLE = timedelta(seconds=seconds)


def settled_before(now: datetime | None = None) -> datetime:
    """Records stamped before this instant are final: their second ended at least :data:`SETTLE` ago."""
    current = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return current - SETTLE


@dataclass(frozen=True)
class Position:
    """Where a poll stands: the newest timestamp emitted and the ids emitted at exactly it."""

    ts: datetime
    ids: frozenset[str] = frozenset()

    @classmethod
    def load(cls, cursor: Mapping[str, Any], parse: Callable[[str], datetime]) -> Position:
        """Read a stored cursor (``{"ts", "ids"}``) with the system's timestamp parser."""
        return cls(parse(str(cursor["ts"])), frozenset(str(i) for i in cursor.get("ids") or []))

    def dump(self, fmt: Callable[[datetime], str], *, max_ids: int | None = None) -> dict[str, Any]:
        """The cursor to store: ``ts`` in the system's format; ids sorted (the last ``max_ids`` kept)."""
        ids = sorted(self.ids)
        return {"ts": fmt(self.ts), "ids": ids if max_ids is None else ids[-max_ids:]}


def collect(
    records: Iterable[R],
    start: Position,
    *,
    limit: int,
    timestamp: Callable[[R], datetime],
    record_id: Callable[[R], str],
    item: Callable[[R], dict[str, Any]],
    fmt: Callable[[datetime], str],
    max_ids: int | None = None,
    object_name: str = "",
    now: datetime | None = None,
) -> PollResult:
    """New items from ``records`` (in timestamp order) after ``start``, at most ``limit``, and the next
    cursor. ``item`` turns a record into the item a run receives (it may read the full record).

    Each item's :class:`RecordRef` (``object_name``, its id, its timestamp as the version) goes with it,
    so the scheduler can start one run per record version and recognise our own writes. Records stamped
    at or after :func:`settled_before` (``now``) wait for a later poll (see the module doc)."""
    items: list[dict[str, Any]] = []
    refs: list[RecordRef] = []
    last, last_ids = start.ts, set(start.ids)
    horizon = settled_before(now)
    held = 0
    for record in records:
        when, rid = timestamp(record), record_id(record)
        if when < start.ts or (when == start.ts and rid in start.ids):
            continue
        if when >= horizon:
            held += 1  # in timestamp order: every later record is newer still
            continue
        if len(items) >= limit:
            break
        items.append(item(record))
        refs.append(RecordRef(object_name.lower(), rid, when.astimezone(UTC).isoformat(), when))
        if when > last:
            last, last_ids = when, set()
        last_ids.add(rid)
    return PollResult(items, Position(last, frozenset(last_ids)).dump(fmt, max_ids=max_ids), refs, held)


def iso_millis(when: datetime) -> str:
    """``2026-01-05T10:00:00.000Z``: UTC to the millisecond, as SOQL and OData filters take it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 date-time (``Z``, ``+00:00`` or Salesforce's ``+0000``) as aware UTC; a time without
    zone counts as UTC. A value that is not a date-time is InvalidInput (a bad ``since`` setting)."""
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{value!r} is not an ISO 8601 date-time.", hint="Use 2026-01-31T09:00:00Z."
        ) from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
