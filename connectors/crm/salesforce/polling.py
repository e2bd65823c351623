"""Polling for changed records on ``LastModifiedDate`` (or ``SystemModstamp``) without gaps or duplicates.

The cursor is ``{"ts": <last timestamp emitted>, "ids": [ids emitted at exactly that timestamp]}``.
Each poll asks for ``ts >= cursor.ts`` ordered by timestamp and skips the ids already emitted at that
timestamp, so several records sharing one timestamp are neither lost (``>`` would lose the ones that
arrive after a poll) nor emitted twice (``>=`` alone would repeat them). A poll that stops at
``max_records`` leaves the cursor in the middle of a timestamp; the id list covers that too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.base import ActionContext, PollResult
from connectors.errors import InvalidInput

from .client import query_records, strip_attributes
from .records import _name

_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def _path(value: str) -> str:
    if not isinstance(value, str) or not _PATH.match(value):
        raise InvalidInput(f"Field {value!r} is not a valid API name.", hint="e.g. Name or Account.Name")
    return value


TIMESTAMP_FIELDS = ("LastModifiedDate", "SystemModstamp", "CreatedDate")
MAX_CURSOR_IDS = 2000


def parse_ts(value: str) -> datetime:
    """Salesforce date-times (``2026-01-05T10:00:00.000+0000``) and ISO 8601 strings, as aware UTC."""
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


def soql_datetime(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def poll_updated(
    ctx: ActionContext,
    *,
    sobject: str,
    fields: Sequence[str] = (),
    where: str = "",
    cursor: Mapping[str, Any] | None,
    since: str | None = None,
    max_records: int = 500,
    timestamp_field: str = "LastModifiedDate",
) -> PollResult:
    obj = _name(sobject, "Object")
    if timestamp_field not in TIMESTAMP_FIELDS:
        raise InvalidInput(f"Timestamp field must be one of {', '.join(TIMESTAMP_FIELDS)}.")
    extra = f" AND ({where})" if where.strip() else ""
    if not cursor:
        if not since:
            return PollResult([], _start_cursor(ctx, obj, timestamp_field, extra))
        cursor = {"ts": soql_datetime(parse_ts(since)), "ids": []}
    start = parse_ts(str(cursor["ts"]))
    seen = set(cursor.get("ids") or [])
    wanted = ["Id", timestamp_field, *(_path(f) for f in fields or ())]
    select = ", ".join(dict.fromkeys(wanted))
    soql = (
        f"SELECT {select} FROM {obj} WHERE {timestamp_field} >= {soql_datetime(start)}{extra} "  # noqa: S608 (validated API names, our timestamps, the user's own SOQL)
        f"ORDER BY {timestamp_field} ASC, Id ASC"
    )
    items: list[dict[str, Any]] = []
    last, last_ids = start, set(seen)
    # The query re-reads the records already emitted at `start`; allow for them in the bound.
    for record in query_records(ctx, soql, max_records=max_records + len(seen)):
        when = parse_ts(record[timestamp_field])
        if when < start or (when == start and record["Id"] in seen):
            continue
        if len(items) >= max_records:
            break
        items.append(strip_attributes(record))
        if when > last:
            last, last_ids = when, set()
        last_ids.add(record["Id"])
    ids = sorted(last_ids)[-MAX_CURSOR_IDS:]
    return PollResult(items, {"ts": soql_datetime(last), "ids": ids})


def _start_cursor(ctx: ActionContext, obj: str, field: str, extra: str) -> dict[str, Any]:
    """First poll without ``since``: start after the newest existing record (emit nothing now)."""
    # Validated API names; the extra condition is the user's own SOQL.
    where = f"{field} != null{extra} ORDER BY {field} DESC LIMIT 200"
    soql = f"SELECT Id, {field} FROM {obj} WHERE {where}"  # noqa: S608
    rows = list(query_records(ctx, soql, max_records=200))
    if not rows:
        return {"ts": soql_datetime(datetime(1970, 1, 1, tzinfo=UTC)), "ids": []}
    newest = parse_ts(rows[0][field])
    return {"ts": soql_datetime(newest), "ids": sorted(r["Id"] for r in rows if parse_ts(r[field]) == newest)}
