"""The failure inbox, read side: which failures are open, and how they group.

Failures are ``execution.FailureRecord`` rows (a failed run, or one item a node failed on inside a run
that carried on). Grouping is by cause category, flow, node or customer; every group says what to do
next (the advice of its most frequent category, ``execution.failures.NEXT_STEP``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from flowbuilder.execution.failures import NEXT_STEP
from flowbuilder.execution.models import FailureCategory, FailureKind, FailureRecord, FailureState
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.models import Organisation

GROUP_BY = ("category", "flow", "node", "customer")
STATES = ("open", "snoozed", "resolved", "all")
#: Query fields per grouping (the group key is these values joined by ":").
_FIELDS = {
    "category": ("category",),
    "flow": ("flow_id",),
    "node": ("flow_id", "node_id"),
    "customer": ("organisation_id",),
}


def state_filter(state: str, now: datetime | None = None) -> Q:
    """``open`` includes snoozed failures whose snooze has run out."""
    now = now or timezone.now()
    if state == "open":
        return Q(state=FailureState.OPEN) | Q(state=FailureState.SNOOZED, snoozed_until__lte=now)
    if state == "snoozed":
        return Q(state=FailureState.SNOOZED, snoozed_until__gt=now)
    if state == "resolved":
        return Q(state=FailureState.RESOLVED)
    return Q()


def failures(
    organisation_ids: Iterable[int],
    *,
    state: str = "open",
    category: str = "",
    flow: int | None = None,
    node: str = "",
    customer: int | None = None,
    kind: str = "",
    group: str = "",
    base: QuerySet[FailureRecord] | None = None,
) -> QuerySet[FailureRecord]:
    """The failures of these organisations matching the filters (``group`` is a key from :func:`groups`),
    narrowing ``base`` when given (an API view's tenant-restricted queryset)."""
    qs = (base if base is not None else FailureRecord.objects.all()).filter(
        organisation_id__in=list(organisation_ids)
    )
    qs = qs.filter(state_filter(state))
    if category:
        qs = qs.filter(category=category)
    if flow is not None:
        qs = qs.filter(flow_id=flow)
    if node:
        qs = qs.filter(node_id=node)
    if customer is not None:
        qs = qs.filter(organisation_id=customer)
    if kind:
        qs = qs.filter(kind=kind)
    if group:
        qs = qs.filter(**group_lookup(group))
    return qs


def group_lookup(group: str) -> dict[str, Any]:
    """``category:rate_limit`` -> {"category": "rate_limit"}; ValueError for a malformed key."""
    by, _, rest = group.partition(":")
    fields = _FIELDS.get(by)
    if fields is None or not rest:
        raise ValueError(f"unknown group {group!r}")
    values = rest.split(":", len(fields) - 1)
    if len(values) != len(fields):
        raise ValueError(f"unknown group {group!r}")
    lookup: dict[str, Any] = {}
    for field, value in zip(fields, values, strict=True):
        if field.endswith("_id"):
            if not value.isdigit():
                raise ValueError(f"unknown group {group!r}")
            lookup[field] = int(value)
        else:
            lookup[field] = value
    return lookup


def groups(organisation_ids: Iterable[int], *, by: str = "category", **filters: Any) -> dict[str, Any]:
    """Open (or filtered) failures grouped ``by``: count, runs, items, latest, the dominant category and
    what to do next; biggest group first. Also the totals per category for the filter chips."""
    if by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    qs = failures(organisation_ids, **filters)
    fields = _FIELDS[by]
    rows = (
        qs.order_by()
        .values(*fields, "category")
        .annotate(
            count=Count("id"),
            items=Count("id", filter=Q(kind=FailureKind.ITEM)),
            runs=Count("run_id", distinct=True),
            latest=Max(Coalesce("last_seen_at", "created_at")),  # a recurring exception: its last time
            assigned=Count("id", filter=Q(assignee__isnull=False)),
        )
    )
    merged: dict[tuple, dict[str, Any]] = {}
    per_category: dict[tuple, dict[str, int]] = defaultdict(dict)
    for row in rows:
        key = tuple(row[f] for f in fields)
        group = merged.setdefault(key, {"count": 0, "items": 0, "runs": 0, "latest_at": None, "assigned": 0})
        group["count"] += row["count"]
        group["items"] += row["items"]
        group["runs"] += row["runs"]  # a run failing in two categories counts in both (rare; fine)
        group["assigned"] += row["assigned"]
        if group["latest_at"] is None or row["latest"] > group["latest_at"]:
            group["latest_at"] = row["latest"]
        per_category[key][row["category"]] = per_category[key].get(row["category"], 0) + row["count"]
    labels = _labels(by, merged)
    result = []
    for key, group in merged.items():
        dominant = max(per_category[key].items(), key=lambda kv: kv[1])[0]
        result.append(
            {
                "key": f"{by}:" + ":".join(str(k) for k in key),
                "label": labels.get(key, ":".join(str(k) for k in key)),
                **group,
                "category": dominant,
                "categories": per_category[key],
                "next_step": NEXT_STEP[FailureCategory(dominant)],
            }
        )
    result.sort(key=lambda g: (-g["count"], g["label"]))
    totals = dict(qs.order_by().values_list("category").annotate(n=Count("id")).values_list("category", "n"))
    return {"group_by": by, "total": sum(g["count"] for g in result), "categories": totals, "groups": result}


def _labels(by: str, merged: dict[tuple, Any]) -> dict[tuple, str]:
    if by == "category":
        return {key: FailureCategory(key[0]).label for key in merged}
    if by == "customer":
        names = dict(Organisation.objects.filter(id__in=[k[0] for k in merged]).values_list("id", "name"))
        return {key: names.get(key[0], f"#{key[0]}") for key in merged}
    flows = Flow.objects.filter(id__in={k[0] for k in merged}).select_related("published_version")
    names = {f.id: f.name for f in flows}
    if by == "flow":
        return {key: names.get(key[0], f"#{key[0]}") for key in merged}
    node_labels = {f.id: _node_labels(f) for f in flows}
    labels = {}
    for key in merged:
        step = node_labels.get(key[0], {}).get(key[1]) or key[1] or "run"
        labels[key] = f"{names.get(key[0], '#' + str(key[0]))} · {step}"
    return labels


def _node_labels(flow: Flow) -> dict[str, str]:
    version = flow.published_version
    nodes = ((version.plan or {}).get("nodes") or {}) if version is not None else {}
    return {nid: spec.get("label") or spec.get("type", nid) for nid, spec in nodes.items()}
