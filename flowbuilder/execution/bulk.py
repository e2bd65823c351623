"""Batch writes of node results and events: the hot path of every run.

Django's ``bulk_create`` prepares every field of every model instance in Python; for the dozens of rows a
run writes at once that costs more than the database does. On PostgreSQL the rows go as one
``INSERT ... SELECT FROM jsonb_to_recordset(...)`` (node runs, where a zombie's identical rows must be
ignored) or through COPY (events, whose seq the run lock makes unique). A new run and its first event go
in one autocommitted statement. Other databases use the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import JSONField, sql
from django.db.models.expressions import RawSQL

from flowbuilder.core import item_spool
from flowbuilder.core.item_spool import ItemBuffer, is_spooled, plain

from .models import NodeRun, Run, RunEvent

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


@contextmanager
def _bound_cursor() -> Iterator[Any]:
    """A PostgreSQL cursor that sends parameters apart from the SQL text (server-side binding).

    Django binds on the client by default: every parameter is escaped into the statement and parsed back by
    the server. For a step's 30 KB of JSON that cost about 2 ms of a 20 ms run; bound on the server it is
    sent as is. The statements below are fixed text with typed placeholders, so nothing else changes; the
    cursor is Django's wrapper (errors, query logging) around psycopg's binding cursor.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), default=_plain_default)


def _plain_default(obj: Any) -> Any:
    # A spooled list that reaches a plain write is read whole (correct, not bounded): the engine streams
    # the large ones through write_large_outputs instead.
    return list(obj) if is_spooled(obj) else str(obj)


def write_large_outputs(run_id: int, node_id: str, outputs: Mapping[str, Sequence[Any]]) -> None:
    """Store a node run's output items without holding their JSON text in memory.

    On PostgreSQL the JSON is streamed a chunk at a time through COPY into a temporary table and moved
    into the node run's row from there; elsewhere it is written through the ORM.
    """
    rows = NodeRun.objects.filter(run_id=run_id, node_id=node_id)
    if connection.vendor != "postgresql":
        rows.update(output_items=plain(outputs))
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS fb_large_output (items jsonb) ON COMMIT DROP")
        with cursor.copy("COPY fb_large_output (items) FROM STDIN") as copy:
            for piece in _json_pieces(outputs):
                # COPY's text format: a backslash is an escape (JSON never holds a raw newline or tab).
                copy.write(piece.replace(b"\\", b"\\\\"))
            copy.write(b"\n")
        cursor.execute(
            f"UPDATE {NodeRun._meta.db_table} SET output_items = (SELECT items FROM fb_large_output) "  # noqa: S608
            "WHERE run_id = %s AND node_id = %s",
            [run_id, node_id],
        )
        cursor.execute("DELETE FROM fb_large_output")


# On PostgreSQL the output comes with the row only when no port holds more items than a spooled list would.
_SMALL_OUTPUT = (
    "CASE WHEN EXISTS (SELECT 1 FROM jsonb_each_text(output_counts) c WHERE c.value::bigint > %s) "
    "THEN NULL ELSE output_items END"
)


def read_outputs(run_id: int, node_id: str) -> tuple[str | None, dict[str, Sequence[Any]]]:
    """A stored node run's status and output items (status None: no such node run yet).

    One query for an ordinary output. A large one (a port past item_spool.SPOOL_AFTER items) is then read
    a chunk at a time into spooled lists: on PostgreSQL a server-side cursor walks each port's array, so the
    whole value is never one Python object."""
    rows = NodeRun.objects.filter(run_id=run_id, node_id=node_id)
    if connection.vendor != "postgresql":
        row = rows.values("status", "output_items").first()
        return (row["status"], row["output_items"] or {}) if row else (None, {})
    small = RawSQL(_SMALL_OUTPUT, [item_spool.SPOOL_AFTER], output_field=JSONField())  # noqa: S611
    row = rows.annotate(small=small).values("status", "output_counts", "small").first()
    if row is None:
        return None, {}
    counts = row["output_counts"] or {}
    if row["small"] is not None or not counts:
        return row["status"], row["small"] or {}
    return row["status"], _read_spooled(run_id, node_id, list(counts))


def _read_spooled(run_id: int, node_id: str, ports: Sequence[str]) -> dict[str, Sequence[Any]]:
    outputs: dict[str, Sequence[Any]] = {}
    for port in ports:
        buffer = ItemBuffer()
        with transaction.atomic(savepoint=False), connection.chunked_cursor() as cursor:
            cursor.execute(
                f"SELECT item::text FROM {NodeRun._meta.db_table}, "  # noqa: S608
                "jsonb_array_elements(output_items -> %s) WITH ORDINALITY AS x(item, n) "
                "WHERE run_id = %s AND node_id = %s ORDER BY n",
                [port, run_id, node_id],
            )
            while chunk := cursor.fetchmany(item_spool.CHUNK_ITEMS):
                for (text,) in chunk:
                    buffer.append(json.loads(text))
        outputs[port] = buffer.result()
    return outputs


def _json_pieces(outputs: Mapping[str, Sequence[Any]]) -> Iterator[bytes]:
    yield b"{"
    for index, (port, items) in enumerate(outputs.items()):
        yield (b"," if index else b"") + json.dumps(port).encode() + b":"
        if is_spooled(items):
            yield from items.json_pieces()
        else:
            yield json.dumps(items, separators=(",", ":"), default=str, ensure_ascii=False).encode()
    yield b"}"


EVENT_COLUMNS = (
    ("run_id", "bigint"),
    ("seq", "integer"),
    ("type", "text"),
    ("node_id", "text"),
    ("payload", "jsonb"),
    ("at", "timestamptz"),
)


def insert_node_runs(rows: Sequence[dict[str, Any]]) -> None:
    """Insert node results; rows that already exist (same run and node) are left alone."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        NodeRun.objects.bulk_create([NodeRun(**row) for row in rows], ignore_conflicts=True)
        return
    with _bound_cursor() as cursor:
        cursor.execute(*_node_runs_insert(rows))


def _node_runs_insert(rows: Sequence[dict[str, Any]]) -> tuple[str, list[Any]]:
    # All rows travel as ONE JSON document (C-speed json.dumps, one escaped parameter) that PostgreSQL
    # unpacks with jsonb_to_recordset; per-element array parameters are escaped in Python instead.
    names = [name for name, _ in NODE_RUN_COLUMNS]
    payload = [{name: row.get(name, 0 if name == "claim_token" else None) for name in names} for row in rows]
    return _recordset_insert(
        NodeRun._meta.db_table, NODE_RUN_COLUMNS, payload, "ON CONFLICT (run_id, node_id) DO NOTHING"
    )


def _recordset_insert(
    table: str, columns: Sequence[tuple[str, str]], records: list[dict[str, Any]], suffix: str = ""
) -> tuple[str, list[Any]]:
    names = ", ".join(name for name, _ in columns)
    record = ", ".join(f"{name} {type_}" for name, type_ in columns)
    # Identifiers come from the constants above, never from input; the data is the one bound parameter.
    statement = (
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
        f"FROM jsonb_to_recordset(%s::jsonb) AS x({record}) {suffix}"
    )
    return statement, [_dump(records)]


def write_step(
    run: Run, node_rows: Sequence[dict[str, Any]], event_rows: Sequence[tuple], fields: Sequence[str]
) -> None:
    """The end of an engine step: node results, events and the run's changed fields in ONE statement.

    On PostgreSQL the inserts ride as data-modifying CTEs of Django's own UPDATE of the run (one round
    trip instead of three); elsewhere they are written one after the other.
    """
    if connection.vendor != "postgresql":
        insert_node_runs(node_rows)
        insert_events(event_rows)
        run.save(update_fields=list(fields))
        return
    update = sql.UpdateQuery(Run)
    update.add_update_values({name: getattr(run, Run._meta.get_field(name).attname) for name in fields})
    update.add_filter("pk", run.pk)
    update_sql, update_params = update.get_compiler(connection=connection).as_sql()
    ctes, params = [], []
    if node_rows:
        node_sql, node_params = _node_runs_insert(node_rows)
        ctes.append(f"n AS ({node_sql})")
        params += node_params
    if event_rows:
        names = [name for name, _ in EVENT_COLUMNS]
        records = [dict(zip(names, row, strict=True)) for row in event_rows]
        event_sql, event_params = _recordset_insert(RunEvent._meta.db_table, EVENT_COLUMNS, records)
        ctes.append(f"e AS ({event_sql})")
        params += event_params
    statement = (f"WITH {', '.join(ctes)} " if ctes else "") + update_sql
    with _bound_cursor() as cursor:
        cursor.execute(statement, [*params, *update_params])


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


def can_insert_run_in_one_statement() -> bool:
    """PostgreSQL, outside any transaction: the statement is its own transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def insert_run_with_first_event(run: Run, event_type: str, payload: dict[str, Any]) -> None:
    """INSERT ``run`` (unsaved) and its event seq 1 in ONE statement: no BEGIN/COMMIT round trips.

    The run's INSERT is Django's own (defaults, ``auto_now_add``, JSON adaptation); the event row is
    derived from it inside the statement, so both exist or neither does.
    """
    query = sql.InsertQuery(Run)
    query.insert_values([f for f in Run._meta.concrete_fields if not f.primary_key], [run])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [Run._meta.pk]
    [(insert_sql, params)] = compiler.as_sql()  # also sets run.created_at (auto_now_add)
    # Django compiled the INSERT and the table name is the model's: the values are bound parameters.
    statement = (
        f"WITH r AS ({insert_sql}) "  # noqa: S608
        f"INSERT INTO {RunEvent._meta.db_table} (run_id, seq, type, node_id, payload, at) "
        "SELECT r.id, 1, %s, '', %s::jsonb, %s FROM r RETURNING run_id"
    )
    with _bound_cursor() as cursor:
        cursor.execute(statement, [*params, event_type, _dump(payload), run.created_at])
        run.pk = cursor.fetchone()[0]
    run._state.adding = False
    run._state.db = connection.alias
