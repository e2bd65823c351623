"""Exactly-once ingress: a delivery or a record version starts one run, however often it arrives.

Senders deliver webhooks at least once, and overlapping poll cursors (or a redelivered poll task) find a
record again. Both are settled by a database unique constraint, never by check-then-insert: the first
INSERT of a key wins, a concurrent one waits for its commit and then finds the key taken (PostgreSQL's
``INSERT ... ON CONFLICT``, which SQLite speaks too).

* Webhooks (:func:`delivery_key`, :func:`claim_delivery`): the trigger names a header (``X-Event-Id``) or
  a path into the first item (``event.id`` or the JSON pointer ``/event/id``; a path, never an
  expression). Within the window a repeated delivery answers with the first delivery's run.
* Polling (:func:`claim_versions`): one run per (trigger, object:id, version) within the window.

An expired key counts as new (the same statement takes it over); the prune task deletes expired rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from connectors.base import RecordRef
from flowbuilder.execution.models import Run

from .models import SeenRecord, WebhookDelivery

DEFAULT_WINDOW_S = 86_400
MAX_KEY_CHARS = 200  # longer delivery ids are stored as their hash
MAX_VERSION_CHARS = 64


# --- webhooks ----------------------------------------------------------------------------------------


def wants_dedupe(config: Mapping[str, Any]) -> bool:
    return bool(config.get("delivery_id_header") or config.get("delivery_id_path"))


def delivery_key(config: Mapping[str, Any], headers: Any, items: Sequence[Mapping[str, Any]]) -> str | None:
    """The delivery id the trigger names, or None (not configured, or this request carries none: such a
    request starts a run as any other)."""
    header = config.get("delivery_id_header")
    if header:
        return _as_key(headers.get(str(header), ""))
    path = config.get("delivery_id_path")
    if path:
        return _as_key(value_at(items[0] if items else {}, str(path)))
    return None


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path (``event.id``, ``lines.0.id``) or a JSON pointer (``/event/id``);
    None if any step is missing. Nothing is evaluated."""
    if path.startswith("/"):
        steps = [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]
    else:
        steps = path.split(".")
    for step in steps:
        if isinstance(data, Mapping):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def _as_key(value: Any) -> str | None:
    if value is None or isinstance(value, bool | Mapping | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_KEY_CHARS:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def claim_delivery(flow_id: int, key: str, window_s: float, now: datetime | None = None) -> bool:
    """True if this call owns the delivery (first within the window, or the earlier one expired or lost
    its run); then the caller starts the run and :func:`set_delivery_run` in the same transaction."""
    now = now or timezone.now()
    table = WebhookDelivery._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    # The table name is the model's; every value is a bound parameter.
    sql = (
        f'INSERT INTO {table} AS d (flow_id, "key", run_id, received_at, expires_at) '  # noqa: S608
        "VALUES (%s, %s, NULL, %s, %s) "
        'ON CONFLICT (flow_id, "key") DO UPDATE SET run_id = NULL, received_at = excluded.received_at, '
        "expires_at = excluded.expires_at WHERE d.expires_at <= %s OR d.run_id IS NULL "
        "RETURNING id"
    )
    expires = now + timedelta(seconds=window_s)
    with connection.cursor() as cursor:
        cursor.execute(sql, [flow_id, key, adapt(now), adapt(expires), adapt(now)])
        return cursor.fetchone() is not None


def set_delivery_run(flow_id: int, key: str, run_id: int) -> None:
    WebhookDelivery.objects.filter(flow_id=flow_id, key=key).update(run_id=run_id)


def first_run(flow_id: int, key: str) -> Run | None:
    """The run the first delivery of ``key`` started (None if it is gone)."""
    run_id = WebhookDelivery.objects.filter(flow_id=flow_id, key=key).values_list("run_id", flat=True).first()
    if run_id is None:
        return None
    return Run.objects.only("id", "status", "options").filter(pk=run_id).first()


# --- polling -----------------------------------------------------------------------------------------


def claim_versions(
    state_id: int, refs: Sequence[RecordRef | None], window_s: float, now: datetime | None = None
) -> set[int]:
    """The indexes of ``refs`` not seen within the window (now claimed); None refs always count as new
    (a connector that does not identify its records cannot be deduplicated)."""
    now = now or timezone.now()
    fresh = {i for i, ref in enumerate(refs) if ref is None}
    wanted: dict[tuple[str, str], list[int]] = {}
    for index, ref in enumerate(refs):
        if ref is not None:
            key = (ref.key[:255], (ref.version or "-")[:MAX_VERSION_CHARS])
            wanted.setdefault(key, []).append(index)
    if not wanted:
        return fresh
    adapt = connection.ops.adapt_datetimefield_value
    expires = adapt(now + timedelta(seconds=window_s))
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(wanted))
    params: list[Any] = []
    for record, version in wanted:
        params += [state_id, record, version, expires]
    table = SeenRecord._meta.db_table
    sql = (
        f"INSERT INTO {table} AS s (state_id, record, version, expires_at) VALUES {rows} "  # noqa: S608
        "ON CONFLICT (state_id, record, version) DO UPDATE SET expires_at = excluded.expires_at "
        "WHERE s.expires_at <= %s RETURNING record, version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(now)])
        claimed = cursor.fetchall()
    for record, version in claimed:
        fresh.add(wanted[(record, version)][0])  # one run per version, even if a poll listed it twice
    return fresh


def forget_versions(state_id: int) -> None:
    """A trigger starting from scratch (new object or query) forgets what it has seen."""
    SeenRecord.objects.filter(state_id=state_id).delete()


# --- housekeeping ------------------------------------------------------------------------------------


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete expired delivery ids and seen versions; returns how many of each."""
    now = now or timezone.now()
    deliveries, _ = WebhookDelivery.objects.filter(expires_at__lte=now).delete()
    versions, _ = SeenRecord.objects.filter(expires_at__lte=now).delete()
    return {"deliveries": deliveries, "versions": versions}
