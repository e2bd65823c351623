"""The business transaction trace: "where is deal X?" by any id in any system.

One deal moves opportunity -> customer -> project -> time -> invoice -> payment across CRM, PSA and ERP,
through several flows. Every id we see is written to ``TraceKey`` on a *thread* that ties it to others:

* ``item:<run>:<n>``: the ids in one input item of a run, written when the run starts (``index_run``,
  registered as an execution start hook): a webhook's opportunity and its account;
* ``canon:<entity>:<uuid>``: one cross-reference group, written when a SyncLink is written
  (``index_link``, a crossref hook; the run that wrote it is kept on the row);
* ``rec:<system>:<id>``: a record and the record it belongs to (a time entry and its project, an invoice
  and its project, an opportunity and its account), written when records are read (``index_records``).

``search`` walks id -> threads -> ids with indexed lookups (``(organisation, external_id)`` and the unique
``(organisation, thread, ...)``), a few rounds, bounded, so it stays fast at any table size. A customer is a
hub (all its deals meet there): the walk goes *to* a customer but not *through* it, unless the search
started at it. The answer is a timeline of the runs and records, the lifecycle stages reached and where it
is stuck.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .insight_models import BusinessRecord, TraceKey

MAX_ROUNDS = 6
MAX_KEYS = 400
MAX_ITEMS_INDEXED = 200  # a run's first items; a bigger batch is traced by its links and records

STAGES = ("opportunity", "customer", "project", "time_entry", "invoice", "payment")
STAGE_LABELS = {
    "opportunity": "Opportunity won",
    "customer": "Customer linked",
    "project": "Project created",
    "time_entry": "Time approved",
    "invoice": "Invoiced",
    "payment": "Paid",
}
# Cross-reference entities of the lifecycle templates -> the stage they stand for.
ENTITY_STAGE = {
    "opportunity": "opportunity",
    "customer": "customer",
    "project": "project",
    "task": "project",
    "time_entry": "time_entry",
    "expense": "time_entry",
    "invoice": "invoice",
    "milestone_invoice": "invoice",
    "payment": "payment",
}
SALESFORCE_PREFIXES = {"006": "opportunity", "001": "customer", "003": "contact", "00k": "line_item"}
_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def _sf_entity(value: Any) -> str | None:
    text = str(value or "")
    if _SF_ID.match(text) and text[:3] in SALESFORCE_PREFIXES:
        return SALESFORCE_PREFIXES[text[:3]]
    return None


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value in (None, "") else str(value)[:255]


def keys_of_item(item: Any) -> list[tuple[str, str, str]]:
    """(system, entity, id) of the business ids in one item, recognised by their systems' shapes."""
    if not isinstance(item, dict):
        return []
    keys: list[tuple[str, str, str]] = []
    for field in ("Id", "AccountId", "OpportunityId", "opportunity_id"):
        entity = _sf_entity(item.get(field))
        if entity:
            keys.append(("salesforce", entity, str(item[field])))
    if "time_in_minutes" in item or "workspace_id" in item:  # Kantata time entries, expenses, stories
        if item.get("id") not in (None, ""):
            kind = (
                "time_entry"
                if "time_in_minutes" in item
                else "expense"
                if "amount_in_cents" in item
                else "task"
            )
            keys.append(("kantata", kind, _ref(item["id"])))
        if _ref(item.get("workspace_id")):
            keys.append(("kantata", "project", _ref(item["workspace_id"])))
    if "tranId" in item or "tranid" in item:  # NetSuite transactions
        kind = "payment" if "payment" in item else "invoice"
        if _ref(item.get("id")):
            keys.append(("netsuite", kind, _ref(item["id"])))
        if _ref(item.get("job")):
            keys.append(("netsuite", "project", _ref(item["job"])))
    return [k for k in dict.fromkeys(keys) if k[2]]


# --- writing the index ------------------------------------------------------------------------------------


def _write(rows: list[TraceKey]) -> None:
    if rows:
        TraceKey.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def index_run(run: Any) -> None:
    """Hook on every run start: the ids its input items carry (one thread per item)."""
    items = run.input_items if isinstance(run.input_items, list) else []
    now = run.created_at or timezone.now()
    rows = [
        TraceKey(
            organisation_id=run.organisation_id,
            system=system,
            entity=entity,
            external_id=ext,
            thread=f"item:{run.pk}:{n}",
            run_id=run.pk,
            at=now,
        )
        for n, item in enumerate(items[:MAX_ITEMS_INDEXED])
        for system, entity, ext in keys_of_item(item)
    ]
    _write(rows)


def index_link(
    *,
    organisation_id: int,
    entity: str,
    canonical_id: uuid.UUID,
    members: Iterable[tuple[str, str]],
    run_id: int | None = None,
) -> None:
    """Hook on SyncLink writes: the linked ids of one canonical record (``members``: (system, id))."""
    now = timezone.now()
    _write(
        [
            TraceKey(
                organisation_id=organisation_id,
                system=system,
                entity=entity[:32],
                external_id=str(ext)[:255],
                thread=f"canon:{entity[:40]}:{canonical_id}",
                run_id=run_id,
                at=now,
            )
            for system, ext in members
        ]
    )


PARENT_ENTITY = {"time_entry": "project", "invoice": "project", "opportunity": "customer", "project": ""}


def index_records(organisation_id: int, system: str, records: Iterable[BusinessRecord]) -> None:
    """Each record with a parent on a thread of its own: the record and its parent (project, account)."""
    now = timezone.now()
    rows: list[TraceKey] = []
    for r in records:
        parent_entity = PARENT_ENTITY.get(r.entity)
        if not r.parent_id or not parent_entity:
            continue
        thread = f"rec:{system}:{r.entity}:{r.external_id}"[:128]
        rows.append(
            TraceKey(
                organisation_id=organisation_id,
                system=system,
                entity=r.entity,
                external_id=r.external_id,
                thread=thread,
                at=now,
            )
        )
        rows.append(
            TraceKey(
                organisation_id=organisation_id,
                system=system,
                entity=parent_entity,
                external_id=r.parent_id,
                thread=thread,
                at=now,
            )
        )
    _write(rows)


# --- searching --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    system: str
    entity: str
    external_id: str


def _walk(org_ids: list[int], query: str, system: str = "") -> tuple[set[Key], set[int], dict[Key, Any]]:
    """The keys and runs reachable from ``query``; also the first time each key was seen."""
    start_rows = list(
        TraceKey.objects.filter(organisation_id__in=org_ids, external_id=query).values(
            "system", "entity", "external_id", "thread", "run_id", "at", "organisation_id"
        )
    )
    if system:
        start_rows = [r for r in start_rows if r["system"] in (system, "")]
    keys: dict[Key, Any] = {}
    runs: set[int] = set()
    seen_threads: set[str] = set()
    frontier = start_rows
    start = {Key(r["system"], r["entity"], r["external_id"]) for r in start_rows}
    for _ in range(MAX_ROUNDS):
        threads = set()
        for r in frontier:
            key = Key(r["system"], r["entity"], r["external_id"])
            keys.setdefault(key, r["at"])
            if key.entity == "customer" and key not in start:
                continue  # a hub: every deal of the customer meets here
            if r["run_id"]:
                runs.add(r["run_id"])
            if r["thread"] not in seen_threads:
                threads.add(r["thread"])
        if not threads or len(keys) >= MAX_KEYS:
            break
        seen_threads |= threads
        members = list(
            TraceKey.objects.filter(organisation_id__in=org_ids, thread__in=list(threads)).values(
                "system", "entity", "external_id", "thread", "run_id", "at"
            )
        )
        new: set[tuple[str, str]] = set()
        for r in members:
            key = Key(r["system"], r["entity"], r["external_id"])
            if r["run_id"]:
                runs.add(r["run_id"])
            if key not in keys:
                keys[key] = r["at"]
                new.add((key.system, key.external_id))
        if not new:
            break
        systems_of = {}
        for sys_, ext in new:
            systems_of.setdefault(ext, set()).add(sys_)
        frontier = [
            r
            for r in TraceKey.objects.filter(
                organisation_id__in=org_ids, external_id__in=list(systems_of)[:MAX_KEYS]
            ).values("system", "entity", "external_id", "thread", "run_id", "at")
            if r["thread"] not in seen_threads
            # the same id in another system is another record
            and (
                r["system"] in systems_of[r["external_id"]]
                or not r["system"]
                or "" in systems_of[r["external_id"]]
            )
        ]
    return set(keys), runs, keys


def search(org_ids: list[int], query: str, *, system: str = "") -> dict[str, Any]:
    """Everything known about the business transaction that ``query`` (an id in any system) belongs to."""
    from flowbuilder.execution.models import Run

    query = query.strip()[:255]
    found, run_ids, first_seen = _walk(org_ids, query, system)
    records = {
        (r.system, r.external_id): r
        for r in BusinessRecord.objects.filter(
            organisation_id__in=org_ids, external_id__in=[k.external_id for k in found][:MAX_KEYS]
        )
    }
    runs = list(
        Run.objects.filter(pk__in=list(run_ids)[:200], organisation_id__in=org_ids)
        .select_related("flow")
        .only(
            "id",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "organisation_id",
            "flow__id",
            "flow__name",
            "correlation_id",
            "origin",
        )
        .order_by("created_at")
    )
    events: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    stages: dict[str, dict[str, Any]] = {}
    # One row per record: an id seen as several entities (a deal id is the CRM side of its "project" link)
    # is shown as what its system says it is.
    seen_at: dict[tuple[str, str], Any] = {}
    unique: dict[tuple[str, str], Key] = {}
    for key in found:
        ident = (key.system, key.external_id)
        when = first_seen.get(key)
        if when is not None and (ident not in seen_at or when < seen_at[ident]):
            seen_at[ident] = when
        rec = records.get(ident)
        best = rec.entity if rec else (_sf_entity(key.external_id) if key.system == "salesforce" else None)
        if ident not in unique or (best and key.entity == best):
            unique[ident] = Key(key.system, best or key.entity, key.external_id)
    for key in sorted(
        unique.values(),
        key=lambda k: (
            STAGES.index(ENTITY_STAGE.get(k.entity, "payment")) if ENTITY_STAGE.get(k.entity) else 9,
            k.system,
            k.external_id,
        ),
    ):
        rec = records.get((key.system, key.external_id))
        stage = ENTITY_STAGE.get(rec.entity if rec else key.entity)
        row = {
            "system": key.system or "unknown",
            "entity": rec.entity if rec else key.entity,
            "id": key.external_id,
            "name": rec.name if rec else "",
            "status": rec.status if rec else "",
            "amount": str(rec.amount) if rec and rec.amount is not None else None,
            "occurred_at": rec.occurred_at if rec else None,
            "first_seen_at": seen_at.get((key.system, key.external_id)),
            "stage": stage or "",
        }
        record_rows.append(row)
        if stage:
            stages.setdefault(stage, {"stage": stage, "records": 0})["records"] += 1
        if rec and rec.entity == "invoice" and rec.status == "paid":
            stages.setdefault("payment", {"stage": "payment", "records": 0})["records"] += 1
            events.append(
                {
                    "at": _paid_at(rec),
                    "kind": "record",
                    "title": f"Invoice {rec.name} paid",
                    "system": rec.system,
                    "id": rec.external_id,
                    "status": "paid",
                }
            )
        at = row["occurred_at"] or row["first_seen_at"]
        if at:
            events.append(
                {
                    "at": at,
                    "kind": "record",
                    "title": f"{_entity_label(row['entity'])} {row['name'] or row['id']}",
                    "system": row["system"],
                    "id": row["id"],
                    "status": row["status"],
                }
            )
    run_rows = []
    for run in runs:
        error = run.error or {}
        run_rows.append(
            {
                "id": run.pk,
                "flow": run.flow_id,
                "flow_name": run.flow.name,
                "status": run.status,
                "origin": run.origin,
                "created_at": run.created_at,
                "finished_at": run.finished_at,
                "error": (error.get("message") if isinstance(error, dict) else str(error)) or "",
                "node": (error.get("node_id") if isinstance(error, dict) else "") or "",
            }
        )
        events.append(
            {
                "at": run.created_at,
                "kind": "run",
                "title": f"Run #{run.pk} of {run.flow.name}",
                "system": "flowbuilder",
                "id": str(run.pk),
                "status": run.status,
            }
        )
    events.sort(key=lambda e: e["at"])
    stage_rows = [
        {
            "stage": s,
            "label": STAGE_LABELS[s],
            "reached": s in stages,
            "records": stages.get(s, {}).get("records", 0),
        }
        for s in STAGES
    ]
    return {
        "query": query,
        "found": bool(found),
        "records": record_rows,
        "runs": run_rows,
        "timeline": events,
        "stages": stage_rows,
        "stuck": _stuck(stage_rows, run_rows) if found else None,
    }


def _paid_at(rec: BusinessRecord) -> Any:
    from .values import when

    return when((rec.data or {}).get("paid_at")) or rec.occurred_at


def _entity_label(entity: str) -> str:
    return entity.replace("_", " ").capitalize()


def _stuck(stages: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the transaction stands: a failed or waiting latest run, else the first stage not reached."""
    latest_by_flow: dict[int, dict[str, Any]] = {}
    for run in runs:
        latest_by_flow[run["flow"]] = run  # runs are in time order: the last one wins
    failing = [r for r in latest_by_flow.values() if r["status"] in ("failed", "waiting")]
    if failing:
        run = failing[-1]
        verb = "failed" if run["status"] == "failed" else "is waiting"
        where = f" at step {run['node']}" if run["node"] else ""
        return {
            "stage": "",
            "run": run["id"],
            "message": f"Run #{run['id']} of {run['flow_name']} {verb}{where}"
            + (f": {run['error']}" if run["error"] else "."),
        }
    reached = [s["stage"] for s in stages if s["reached"]]
    if not reached:
        return {
            "stage": STAGES[0],
            "run": None,
            "message": "No record of this transaction has been seen yet.",
        }
    last = max(STAGES.index(s) for s in reached)
    missing = next((s for s in STAGES[: last + 1] if s not in reached), None)
    if missing is None and last < len(STAGES) - 1:
        missing = STAGES[last + 1]
    if missing is None:
        return {"stage": "", "run": None, "message": "Complete: paid."}
    return {
        "stage": missing,
        "run": None,
        "message": f"Waiting for: {STAGE_LABELS[missing].lower()}.",
    }
