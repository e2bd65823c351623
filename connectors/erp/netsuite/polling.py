"""Polling NetSuite for changed records without skipping a change, whatever the account's time zone.

SuiteQL shows ``lastmodifieddate`` in the account's time zone (the integration user's time zone preference)
and reads ``TO_TIMESTAMP`` literals in it, while the record API's ``lastModifiedDate`` is UTC (Using Datetime
Fields). So the cursor is kept in UTC (``{"ts": "2026-01-05T10:00:00Z", "ids": [...]}``); each poll turns
it into the account's wall-clock time for the query, reads every ``modified`` value back from wall-clock
time to UTC, and :func:`connectors.polling.collect` skips what is older than the cursor or was already
emitted at it (ties on the same second are broken by id).

Two edge cases of wall-clock time are handled rather than hoped away:

* the query starts an hour (the size of a daylight saving shift) before the cursor, because the account
  may read a literal in the repeated hour of autumn as its second occurrence; rows from that hour that
  were already emitted are skipped by their UTC time;
* a ``modified`` value in the repeated hour is ambiguous; its instant is read from the record API
  (``lastModifiedDate``, UTC) instead of guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import ActionContext, PollResult
from connectors.errors import InvalidInput
from connectors.polling import Position, collect, parse_timestamp

from . import client

DEFAULT_TIME_ZONE = "America/Los_Angeles"  # NetSuite's server time, the default of many accounts
WALL_CLOCK = "%Y-%m-%d %H:%M:%S"
OVERLAP = timedelta(hours=1)
MAX_CURSOR_IDS = 2000

# record type -> (SuiteQL table, extra condition)
TABLES = {
    "customer": ("customer", ""),
    "job": ("job", ""),
    "invoice": ("transaction", " AND type = 'CustInvc'"),
    "creditmemo": ("transaction", " AND type = 'CustCred'"),
    "customerpayment": ("transaction", " AND type = 'CustPymt'"),
}


def account_zone(config: Mapping[str, Any]) -> tzinfo:
    name = str(config.get("time_zone") or DEFAULT_TIME_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"{name!r} is not a time zone.", hint="Use an IANA name such as America/New_York."
        ) from exc


def to_wall_clock(when: datetime, zone: tzinfo) -> str:
    return when.astimezone(zone).strftime(WALL_CLOCK)


def from_wall_clock(text: str, zone: tzinfo) -> tuple[datetime, bool]:
    """A SuiteQL ``YYYY-MM-DD HH24:MI:SS`` value -> (its instant, whether that wall clock is ambiguous)."""
    wall = datetime.strptime(text.strip(), WALL_CLOCK)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.astimezone(UTC), first.utcoffset() != second.utcoffset()


def parse_cursor_ts(value: str) -> datetime:
    """Cursor timestamps are UTC, to the second (cursors stored before time zones were handled had no
    zone and are read as UTC)."""
    return parse_timestamp(value).replace(microsecond=0)


def format_cursor_ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    """Records of ``config["record_type"]`` changed since the cursor, each read in full."""
    rtype = client.record_type(config["record_type"])
    if rtype not in TABLES:
        raise InvalidInput(f"Changes can be polled for {', '.join(TABLES)}.")
    table, extra = TABLES[rtype]
    zone = account_zone(ctx.config)
    max_records = int(config.get("max_records", 200))
    if not cursor:
        since = config.get("since")
        begin = parse_cursor_ts(since) if since else datetime.now(UTC).replace(microsecond=0)
        cursor = {"ts": format_cursor_ts(begin), "ids": []}
    start = Position.load(cursor, parse_cursor_ts)
    # A fixed table name and a timestamp we formatted ourselves.
    since_sql = f"TO_TIMESTAMP('{to_wall_clock(start.ts - OVERLAP, zone)}', 'YYYY-MM-DD HH24:MI:SS')"
    columns = "id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified"
    order = "ORDER BY lastmodifieddate, id"
    query = f"SELECT {columns} FROM {table} WHERE lastmodifieddate >= {since_sql}{extra} {order}"  # noqa: S608

    def instant(row: Mapping[str, Any]) -> datetime:
        return _instant(ctx, rtype, zone, row)

    def read(row: Mapping[str, Any]) -> dict[str, Any]:
        rid = str(row["id"])
        record = {**client.get_record(ctx, rtype, rid), "id": rid, "record_type": rtype}
        ctx.heartbeat()
        return record

    return collect(
        client.suiteql(ctx, query),
        start,
        limit=max_records,
        timestamp=instant,
        record_id=lambda row: str(row["id"]),
        item=read,
        fmt=format_cursor_ts,
        max_ids=MAX_CURSOR_IDS,
        object_name=rtype,
    )


def _instant(ctx: ActionContext, rtype: str, zone: tzinfo, row: Mapping[str, Any]) -> datetime:
    """A row's ``modified`` wall-clock time as an instant; in the repeated hour, the record API's."""
    when, ambiguous = from_wall_clock(str(row["modified"]), zone)
    if not ambiguous:
        return when
    found = client.find_record(ctx, rtype, str(row["id"]), ["lastModifiedDate"]) or {}
    return parse_cursor_ts(str(found.get("lastModifiedDate") or format_cursor_ts(when)))


def record_versions(ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
    """id -> the last-modified time the trigger will see for records just written (NetSuite's write
    answers carry none), read the way :func:`poll_record_updated` reads it; 1000 ids per query."""
    rtype = str(obj).lower()
    wanted = sorted({str(i) for i in ids if str(i).isdigit()}, key=int)
    if rtype not in TABLES or not wanted:
        return {}
    table, extra = TABLES[rtype]
    zone = account_zone(ctx.config)
    versions: dict[str, str] = {}
    for start in range(0, len(wanted), client.MAX_LIMIT):
        chunk = ", ".join(wanted[start : start + client.MAX_LIMIT])
        # A fixed table name and ids that are digits only.
        columns = "id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified"
        query = f"SELECT {columns} FROM {table} WHERE id IN ({chunk}){extra}"  # noqa: S608
        for row in client.suiteql(ctx, query):
            versions[str(row["id"])] = _instant(ctx, rtype, zone, row).isoformat()
    return versions


def check_time_zone(ctx: ActionContext) -> str | None:
    """Compare the configured zone with what the account shows: the newest customer's last-modified time
    from SuiteQL (wall clock) against the record API (UTC). None when they agree or nothing to compare;
    otherwise what is wrong."""
    zone = account_zone(ctx.config)
    rows = list(
        client.suiteql(
            ctx,
            "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified FROM customer "
            "ORDER BY lastmodifieddate DESC, id DESC",
            max_records=1,
            page_size=1,
        )
    )
    if not rows:
        return None
    found = client.find_record(ctx, "customer", str(rows[0]["id"]), ["lastModifiedDate"]) or {}
    if not found.get("lastModifiedDate"):
        return None
    utc = parse_cursor_ts(str(found["lastModifiedDate"]))
    shown = datetime.strptime(str(rows[0]["modified"]), WALL_CLOCK)
    offset = shown - utc.replace(tzinfo=None)
    expected = utc.astimezone(zone).utcoffset() or timedelta(0)
    if abs(offset - expected) < timedelta(minutes=1):
        return None
    hours = offset.total_seconds() / 3600
    return (
        f"NetSuite shows times at UTC{hours:+g}h but the connection's time zone "
        f"{ctx.config.get('time_zone') or DEFAULT_TIME_ZONE} is UTC{expected.total_seconds() / 3600:+g}h "
        "there; polling would skip or repeat changes."
    )
