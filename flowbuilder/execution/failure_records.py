"""The failure inbox's rows, written by the engine where a run or an item fails.

A node that fails with ``on_error: continue`` or ``error_port`` lets the run carry on (and possibly
succeed); each input item it failed on becomes one :class:`FailureRecord` of kind ``item``. A run that
fails finally becomes one record of kind ``run``. Both are written in the engine's step transaction, so a
failure is stored exactly when its node result is, and the unique key (run, node, item) ignores the rows
a redelivered step writes again.

Exceptions raised as data (items on a node's exception ports) are deduplicated: a flow that runs every
few minutes raises the same exception for the same item on every run, and one open record that counts
its occurrences is what a person needs. Each exception record carries a :func:`fingerprint` (sha256 of
the category, the problem and the item's identity: its id-like fields, ``id``, ``key``, ``ref``,
``uuid``, ``number`` and ``*_id``; without any, the whole item as stored; a held match item is identified
by its match review, its problem text carries volatile scores). :func:`write` counts an exception whose
fingerprint has an open (unresolved) record of the same organisation, flow, node and category on that
record, which then points at the latest run, item and message, instead of inserting it. A resolved
record is history: raised again, the exception is a new record. Plain run and item failures (blank
fingerprint) keep one record per run: retry and replay need their run. A partial unique index on the
open fingerprints keeps two concurrent runs from both inserting (the second one's row is ignored).
An exception stops being news when it stops occurring, but only a node that raises every exception that
still holds on every run (``BaseNode.exceptions_complete``, a billing plan reading all open work) can say
so: after such a node's run, :func:`clear_absent` resolves its open exceptions that run did not raise
again (resolution ``cleared``, the run as their follow-up). Other nodes see one item per run; their
records wait for a person. With environments, each environment's exceptions are its own: the
fingerprint includes the run's environment and a run clears only its environment's records (a test run
reading the test systems says nothing about prod's).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from django.db.models import Case, F, IntegerField, JSONField, TextField, Value, When
from django.utils import timezone

from .models import FailureCategory, FailureKind, FailureRecord, FailureResolution, FailureState, Run

#: Item failures stored per node execution; beyond it the last record says how many more there were.
MAX_ITEM_FAILURES = 1_000
ITEM_PREVIEW_BYTES = 4_000


def _category(error: dict[str, Any] | None) -> str:
    value = (error or {}).get("category")
    return value if value in FailureCategory.values else FailureCategory.INTERNAL


def _preview(item: Any) -> Any:
    """The failed item as stored (a huge item is cut to its keys: the run keeps the full data)."""
    if not isinstance(item, dict):
        return {"value": item}
    item = {k: v for k, v in item.items() if k != "error"}  # error_port items carry the error copied in
    if len(repr(item)) > ITEM_PREVIEW_BYTES:
        return {"_truncated": True, "keys": sorted(item)[:50]}
    return item


def for_items(run: Run, node_id: str, error: dict[str, Any] | None, items: list[Any]) -> list[FailureRecord]:
    """One record per item a continued node failed on (at least one, for a node that had no items)."""
    message = str((error or {}).get("message") or "The step failed on this item.")[:2000]
    base = {
        "organisation_id": run.organisation_id,
        "flow_id": run.flow_id,
        "run_id": run.pk,
        "kind": FailureKind.ITEM,
        "node_id": node_id,
        "category": _category(error),
    }
    rows = items[:MAX_ITEM_FAILURES] or [{}]
    records = [
        FailureRecord(**base, item_index=index, item=_preview(item), message=message)
        for index, item in enumerate(rows)
    ]
    if len(items) > MAX_ITEM_FAILURES:
        records[-1].message += f" ({len(items) - MAX_ITEM_FAILURES} more items failed the same way.)"
    return records


_ID_KEYS = frozenset({"id", "key", "ref", "uuid", "number"})


def _identity(item: Any, exc: dict[str, Any]) -> Any:
    if exc.get("review_id") is not None:
        return {"review": exc["review_id"]}
    if not isinstance(item, dict):
        return item
    fields = {
        k: v
        for k, v in item.items()
        if (k in _ID_KEYS or k.endswith("_id")) and isinstance(v, str | int) and not isinstance(v, bool)
    }
    return fields or {k: v for k, v in item.items() if k != "exception"}


@lru_cache(maxsize=1024)
def environment_of(version_id: int | None) -> str:
    """A run's environment is its version's, set once with the version ("" without environments)."""
    from flowbuilder.flows.models import FlowVersion

    if version_id is None:
        return ""
    return FlowVersion.objects.filter(pk=version_id).values_list("environment", flat=True).first() or ""


def fingerprint(category: str, problem: str, item: Any, exc: dict[str, Any], environment: str = "") -> str:
    """What an exception is about, stable across runs, in one environment (see the module docstring)."""
    key = {"category": category, "identity": _identity(item, exc)}
    if exc.get("review_id") is None:  # a held match's problem text carries scores that change
        key["problem"] = problem
    if environment:  # without environments the fingerprints stay what they were
        key["environment"] = environment
    raw = json.dumps(key, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _exception(item: Any) -> tuple[dict[str, Any], str, str]:
    """An exception item's ``exception`` dict, its category (``validation`` when it names none we know) and
    its problem text: what both a record and its fingerprint are made of."""
    exc = item.get("exception") if isinstance(item, dict) else None
    exc = exc if isinstance(exc, dict) else {}
    category = exc.get("category")
    category = category if category in FailureCategory.values else FailureCategory.VALIDATION
    return exc, category, str(exc.get("problem") or "This item needs a decision.")


def for_exceptions(run: Run, node_id: str, items: list[Any], *, offset: int = 0) -> list[FailureRecord]:
    """One record per exception item a node put out (``BaseNode.exception_ports``): the item's
    ``exception`` names its category, the problem and what to fix, and where the node knows it the item's
    input index (``item_index``: a retry from the node takes that item; otherwise its place among the
    node's exception items). Each has its :func:`fingerprint`."""
    records = []
    now = timezone.now()
    environment = environment_of(run.version_id) if items else ""
    for position, item in enumerate(items[:MAX_ITEM_FAILURES]):
        exc, category, problem = _exception(item)
        fix = str(exc.get("what_to_fix") or "")
        index = exc.get("item_index")
        records.append(
            FailureRecord(
                organisation_id=run.organisation_id,
                flow_id=run.flow_id,
                run_id=run.pk,
                kind=FailureKind.ITEM,
                node_id=node_id,
                item_index=index if isinstance(index, int) and index >= 0 else offset + position,
                item=_preview(item),
                category=category,
                message=(problem + (f" What to fix: {fix}" if fix else ""))[:2000],
                fingerprint=fingerprint(category, problem, item, exc, environment),
                last_seen_at=now,
            )
        )
    return records


def fingerprints(run: Run, items: list[Any]) -> set[str]:
    """The fingerprints of every exception item (all of them, beyond what :func:`for_exceptions` stores)."""
    found = set()
    environment = environment_of(run.version_id) if items else ""
    for item in items:
        exc, category, problem = _exception(item)
        found.add(fingerprint(category, problem, item, exc, environment))
    return found


def clear_absent(run: Run, node_id: str, raised: set[str]) -> int:
    """Resolve the open exceptions of ``node_id`` in the run's flow that this run did not raise again (see
    the module docstring); returns how many. Only records of the run's environment."""
    return (
        FailureRecord.objects.filter(
            organisation_id=run.organisation_id, flow_id=run.flow_id, node_id=node_id, fingerprint__gt=""
        )
        .filter(run__version__environment=environment_of(run.version_id))
        .exclude(state=FailureState.RESOLVED)
        .exclude(fingerprint__in=raised)
        .exclude(run_id=run.pk)
        .update(
            state=FailureState.RESOLVED,
            resolution=FailureResolution.CLEARED,
            resolved_at=timezone.now(),
            follow_up_run_id=run.pk,
        )
    )


def for_run(run: Run, error: dict[str, Any] | None) -> FailureRecord:
    return FailureRecord(
        organisation_id=run.organisation_id,
        flow_id=run.flow_id,
        run_id=run.pk,
        kind=FailureKind.RUN,
        node_id=str((error or {}).get("node_id") or ""),
        item_index=-1,
        item=None,
        category=_category(error),
        message=str((error or {}).get("message") or "The run failed.")[:2000],
    )


def write(records: list[FailureRecord]) -> None:
    """Insert these records (one step's), counting exceptions that are open already (module docstring).

    A constant number of queries per call: one select of the open records with these fingerprints, one
    update counting them, one insert of the rest."""
    if not records:
        return
    fresh: list[FailureRecord] = []
    exceptions: dict[tuple, FailureRecord] = {}
    for rec in records:
        if not rec.fingerprint:
            fresh.append(rec)
        else:  # the same exception twice in one step counts once
            exceptions.setdefault(
                (rec.organisation_id, rec.flow_id, rec.node_id, rec.category, rec.fingerprint), rec
            )
    if exceptions:
        open_rows = (
            FailureRecord.objects.filter(
                organisation_id__in={k[0] for k in exceptions},
                flow_id__in={k[1] for k in exceptions},
                fingerprint__in={k[4] for k in exceptions},
            )
            .exclude(state=FailureState.RESOLVED)
            .values_list(
                "pk",
                "organisation_id",
                "flow_id",
                "node_id",
                "category",
                "fingerprint",
                "run_id",
                "item_index",
            )
        )
        seen: dict[int, FailureRecord] = {}
        slots: set[tuple] = set()
        for pk, org, flow, node, category, fp, run_id, index in open_rows:
            rec = exceptions.pop((org, flow, node, category, fp), None)
            if rec is None or run_id == rec.run_id:  # same run: a redelivered step, counted already
                continue
            slot = (rec.run_id, node, rec.item_index)
            if slot in slots:  # two exceptions naming one input index: the second keeps its run and place
                rec.run_id, rec.item_index = run_id, index
            slots.add(slot)
            seen[pk] = rec
        fresh += exceptions.values()
        if seen:
            _count_again(seen)
    if fresh:
        FailureRecord.objects.bulk_create(fresh, ignore_conflicts=True)


def _count_again(seen: dict[int, FailureRecord]) -> None:
    """One update: each open record counts one more occurrence and takes the latest run, item and message."""

    def per_row(field: str, output: Any) -> Case:
        return Case(
            *[When(pk=pk, then=Value(getattr(rec, field), output_field=output)) for pk, rec in seen.items()],
            output_field=output,
        )

    FailureRecord.objects.filter(pk__in=list(seen)).update(
        occurrences=F("occurrences") + 1,
        last_seen_at=timezone.now(),
        run_id=per_row("run_id", IntegerField()),
        item_index=per_row("item_index", IntegerField()),
        item=per_row("item", JSONField()),
        message=per_row("message", TextField()),
    )
