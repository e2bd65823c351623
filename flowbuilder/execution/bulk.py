"""Batch writes of node results and events: the hot path of every run.

Django's ``bulk_create`` prepares every field of every model instance in Python; for the dozens of rows a
run writes at once that costs more than the database does. On PostgreSQL the rows go as one
``INSERT ... SELECT FROM unnest(...)`` of typed arrays (node runs, where a zombie's identical rows must be
ignored) or through COPY (events, whose seq the run lock makes unique). Other databases use the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from .models import NodeRun, RunEvent

NODE_RUN_COLUMNS = (
    ("run_id", "bigint"),
    ("node_id", "text"),
    ("status", "text"),
    ("attempt", "integer"),
    ("claim_token", "integer"),
    ("input_counts", "jsonb"),
    ("output_counts", "jsonb"),
    ("output_items", "jsonb"),
    ("error", "jsonb"),
    ("started_at", "timestamptz"),
    ("finished_at", "timestamptz"),
    ("duration_ms", "double precision"),
)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), default=str)


def insert_node_runs(rows: Sequence[dict[str, Any]]) -> None:
    """Insert node results; rows that already exist (same run and node) are left alone."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        NodeRun.objects.bulk_create([NodeRun(**row) for row in rows], ignore_conflicts=True)
        return
    # All rows travel as ONE JSON document (C-speed json.dumps, one escaped parameter) that PostgreSQL
    # unpacks with jsonb_to_recordset; per-element array parameters are escaped in Python instead.
    names = [name for name, _ in NODE_RUN_COLUMNS]
    record = ", ".join(f"{name} {type_}" for name, type_ in NODE_RUN_COLUMNS)
    payload = [{name: row.get(name, 0 if name == "claim_token" else None) for name in names} for row in rows]
    # Identifiers come from the constants above, never from input; the data is the one bound parameter.
    sql = (
        f"INSERT INTO {NodeRun._meta.db_table} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {', '.join(names)} FROM jsonb_to_recordset(%s::jsonb) AS x({record}) "
        "ON CONFLICT (run_id, node_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_dump(payload)])


def insert_events(rows: Sequence[tuple]) -> None:
    """Rows of (run_id, seq, type, node_id, payload, at)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        RunEvent.objects.bulk_create(
            [RunEvent(run_id=r, seq=q, type=t, node_id=n, payload=p, at=a) for r, q, t, n, p, a in rows]
        )
        return
    connection.ensure_connection()
    table = RunEvent._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} (run_id, seq, type, node_id, payload, at) FROM STDIN") as copy:
            for run_id, seq, type_, node_id, payload, at in rows:
                copy.write_row((run_id, seq, type_, node_id, _dump(payload), at))
