"""The failure inbox's rows, written by the engine where a run or an item fails.

A node that fails with ``on_error: continue`` or ``error_port`` lets the run carry on (and possibly
succeed); each input item it failed on becomes one :class:`FailureRecord` of kind ``item``. A run that
fails finally becomes one record of kind ``run``. Both are written in the engine's step transaction, so a
failure is stored exactly when its node result is, and the unique key (run, node, item) ignores the rows
a redelivered step writes again.
"""

from __future__ import annotations

from typing import Any

from .models import FailureCategory, FailureKind, FailureRecord, Run

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


def for_exceptions(run: Run, node_id: str, items: list[Any], *, offset: int = 0) -> list[FailureRecord]:
    """One record per exception item a node put out (``BaseNode.exception_ports``): the item's
    ``exception`` names its category (``validation`` when it names none we know), the problem and what to
    fix, and where the node knows it the item's input index (``item_index``: a retry from the node takes
    that item; otherwise its place among the node's exception items)."""
    records = []
    for position, item in enumerate(items[:MAX_ITEM_FAILURES]):
        exc = item.get("exception") if isinstance(item, dict) else None
        exc = exc if isinstance(exc, dict) else {}
        category = exc.get("category")
        problem = str(exc.get("problem") or "This item needs a decision.")
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
                category=category if category in FailureCategory.values else FailureCategory.VALIDATION,
                message=(problem + (f" What to fix: {fix}" if fix else ""))[:2000],
            )
        )
    return records


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
    if records:
        FailureRecord.objects.bulk_create(records, ignore_conflicts=True)
