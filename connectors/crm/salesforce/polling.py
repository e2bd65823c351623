"""Polling for changed records on ``LastModifiedDate`` (or ``SystemModstamp``) without gaps or duplicates.

A SOQL query for ``timestamp >= cursor.ts`` ordered by timestamp and Id; ``connectors.polling`` skips
what was already emitted and moves the ``{"ts", "ids"}`` cursor. The first poll without ``since``
starts after the newest existing record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.base import ActionContext, PollResult
from connectors.errors import InvalidInput
from connectors.polling import Position, collect, iso_millis, parse_timestamp

from .client import query_records, strip_attributes
from .records import _id, _name

_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def _path(value: str) -> str:
    if not isinstance(value, str) or not _PATH.match(value):
        raise InvalidInput(f"Field {value!r} is not a valid API name.", hint="e.g. Name or Account.Name")
    return value


TIMESTAMP_FIELDS = ("LastModifiedDate", "SystemModstamp", "CreatedDate")
MAX_CURSOR_IDS = 2000


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
        cursor = {"ts": iso_millis(parse_timestamp(since)), "ids": []}
    start = Position.load(cursor, parse_timestamp)
    wanted = ["Id", timestamp_field, *(_path(f) for f in fields or ())]
    select = ", ".join(dict.fromkeys(wanted))
    soql = (
        f"SELECT {select} FROM {obj} WHERE {timestamp_field} >= {iso_millis(start.ts)}{extra} "  # noqa: S608 (validated API names, our timestamps, the user's own SOQL)
        f"ORDER BY {timestamp_field} ASC, Id ASC"
    )
    # The query re-reads the records already emitted at `start`; allow for them in the bound.
    return collect(
        query_records(ctx, soql, max_records=max_records + len(start.ids)),
        start,
        limit=max_records,
        timestamp=lambda record: parse_timestamp(record[timestamp_field]),
        record_id=lambda record: record["Id"],
        item=strip_attributes,
        fmt=iso_millis,
        max_ids=MAX_CURSOR_IDS,
        object_name=obj,
    )


def _start_cursor(ctx: ActionContext, obj: str, field: str, extra: str) -> dict[str, Any]:
    """First poll without ``since``: start after the newest existing record (emit nothing now)."""
    # Validated API names; the extra condition is the user's own SOQL.
    where = f"{field} != null{extra} ORDER BY {field} DESC LIMIT 200"
    soql = f"SELECT Id, {field} FROM {obj} WHERE {where}"  # noqa: S608
    rows = list(query_records(ctx, soql, max_records=200))
    if not rows:
        return {"ts": iso_millis(datetime(1970, 1, 1, tzinfo=UTC)), "ids": []}
    newest = parse_timestamp(rows[0][field])
    same_time = sorted(r["Id"] for r in rows if parse_timestamp(r[field]) == newest)
    return {"ts": iso_millis(newest), "ids": same_time}


def record_versions(
    ctx: ActionContext, sobject: str, ids: Sequence[str], *, timestamp_field: str = "LastModifiedDate"
) -> dict[str, str]:
    """id -> ``timestamp_field`` of records just written (Salesforce's write answers carry no version);
    one SOQL query per 200 ids."""
    obj = _name(sobject, "Object")
    wanted = sorted({_id(i) for i in ids})
    versions: dict[str, str] = {}
    for start in range(0, len(wanted), 200):
        chunk = ", ".join(f"'{i}'" for i in wanted[start : start + 200])
        soql = f"SELECT Id, {timestamp_field} FROM {obj} WHERE Id IN ({chunk})"  # noqa: S608 (validated names and ids)
        for row in query_records(ctx, soql, max_records=200):
            versions[str(row["Id"])] = str(row[timestamp_field])
    return versions
