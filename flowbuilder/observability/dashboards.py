"""Dashboards: throughput, failure rate and latency per flow and customer over time, the backlog, SLA
attainment by criticality and, for a partner, one row per customer with its health and trend.

Dashboards never scan runs. ``rollup`` (beat, every minute: ``observability.rollup_dashboards``) keeps
``RunBucket`` rows: per organisation, flow, hour (of the run's creation), outcome and log-scale latency bin,
the number of top-level runs. A dashboard sums a few thousand bucket rows with indexed, time-bucketed SQL
that works on SQLite and PostgreSQL alike, and estimates p50/p95 from the merged latency bins (bins grow by
25%, so an estimate is within about 12% of the true value). Latency is end to end: from the run's creation
(the trigger) to its end, queueing and waits included.

Which hours a rollup recomputes: the last two hours, every hour that held an active run at this or the
previous rollup (a run that ends moves its hour's figures), and once an hour the last 48 hours. The backlog
is sampled at each rollup into ``BacklogSample`` (kept 14 days): queued and dispatched, held (queued, not
dispatched: waiting for its organisation's share of the workers, see ``execution.admission``), running,
and waiting (parked on a wait or an approval).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from flowbuilder.execution.models import ACTIVE_RUN, Run, RunStatus
from flowbuilder.flows.models import Flow
from flowbuilder.tenancy.models import Organisation

from . import sla
from .insight_models import BacklogSample, BucketStatus, RollupMark, RunBucket, RunDayBucket
from .overview import health_of

BIN_BASE = 1.25
HOUR = dt.timedelta(hours=1)
RECENT_HOURS = 2
FULL_HOURS = 48
BACKLOG_KEEP = dt.timedelta(days=14)
# A range's span and step: a day's hours from ``RunBucket``, a week's or a month's days from ``RunDayBucket``.
RANGES = {
    "24h": (dt.timedelta(hours=24), "hour"),
    "7d": (dt.timedelta(days=7), "day"),
    "30d": (dt.timedelta(days=30), "day"),
}
DAY = dt.timedelta(days=1)
TOP_LINES = 6
# A queued run not yet dispatched waits for its organisation's share of the workers (execution.admission).
HELD = ExpressionWrapper(Q(dispatched_at__isnull=True), output_field=BooleanField())


def latency_bin(ms: float) -> int:
    return 0 if ms < 1 else int(math.log(ms) / math.log(BIN_BASE))


def bin_value(index: int) -> float:
    """The geometric middle of a bin, in milliseconds."""
    return BIN_BASE ** (index + 0.5)


def percentile(bins: dict[int, int], q: float) -> int | None:
    total = sum(bins.values())
    if not total:
        return None
    rank, seen = q * total, 0
    for index in sorted(bins):
        seen += bins[index]
        if seen >= rank:
            return round(bin_value(index))
    return round(bin_value(max(bins)))


def _floor_hour(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


# --- the rollup -------------------------------------------------------------------------------------------


def _ranges(hours: Iterable[dt.datetime]) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[list[dt.datetime]] = []
    for hour in sorted(set(hours)):
        if out and out[-1][1] == hour:
            out[-1][1] = hour + HOUR
        else:
            out.append([hour, hour + HOUR])
    return [(a, b) for a, b in out]


def recompute_hours(hours: Iterable[dt.datetime]) -> int:
    """Rebuild the buckets of these hours (all organisations) from the runs created in them."""
    ranges = _ranges(_floor_hour(h) for h in hours)
    if not ranges:
        return 0
    when = Q()
    for start, end in ranges:
        when |= Q(created_at__gte=start, created_at__lt=end)
    buckets: dict[tuple[int, int, dt.datetime, str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    runs = (
        Run.objects.filter(when, parent_run__isnull=True)
        .values_list("organisation_id", "flow_id", "created_at", "status", "finished_at")
        .order_by()
    )
    for org, flow, created, status, finished in runs.iterator(chunk_size=5000):
        if status in ACTIVE_RUN or finished is None:
            key = (org, flow, _floor_hour(created), BucketStatus.ACTIVE, None)
            buckets[key][0] += 1
            continue
        ms = max(0.0, (finished - created).total_seconds() * 1000)
        key = (org, flow, _floor_hour(created), status, latency_bin(ms))
        buckets[key][0] += 1
        buckets[key][1] += int(ms)
    rows = [
        RunBucket(
            organisation_id=org,
            flow_id=flow,
            hour=hour,
            status=status,
            latency_bin=b,
            runs=n,
            latency_ms_sum=ms,
        )
        for (org, flow, hour, status, b), (n, ms) in buckets.items()
    ]
    with transaction.atomic():
        delete = Q()
        for start, end in ranges:
            delete |= Q(hour__gte=start, hour__lt=end)
        RunBucket.objects.filter(delete).delete()
        RunBucket.objects.bulk_create(rows, batch_size=5000)
        recompute_days(_days_of(ranges))
    return len(rows)


def _days_of(ranges: list[tuple[dt.datetime, dt.datetime]]) -> set[dt.datetime]:
    days = set()
    for start, end in ranges:
        day = start.replace(hour=0)
        while day < end:
            days.add(day)
            day += DAY
    return days


def recompute_days(days: Iterable[dt.datetime]) -> None:
    """Rebuild the day buckets of these (UTC) days from their hour buckets."""
    for day in sorted(set(days)):
        rows = [
            RunDayBucket(
                organisation_id=org,
                flow_id=flow,
                day=day,
                status=status,
                latency_bin=b,
                runs=n,
                latency_ms_sum=ms,
            )
            for org, flow, status, b, n, ms in RunBucket.objects.filter(hour__gte=day, hour__lt=day + DAY)
            .values("organisation_id", "flow_id", "status", "latency_bin")
            .annotate(n=Sum("runs"), ms=Sum("latency_ms_sum"))
            .values_list("organisation_id", "flow_id", "status", "latency_bin", "n", "ms")
            .order_by()
        ]
        RunDayBucket.objects.filter(day=day).delete()
        RunDayBucket.objects.bulk_create(rows, batch_size=5000)


def _active_hours() -> set[dt.datetime]:
    return {
        _floor_hour(h)
        for h in Run.objects.filter(status__in=list(ACTIVE_RUN), parent_run__isnull=True)
        .annotate(h=TruncHour("created_at"))
        .values_list("h", flat=True)
        .distinct()
        if h is not None
    }


def sample_backlog(now: dt.datetime) -> int:
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"queued": 0, "held": 0, "running": 0, "waiting": 0}
    )
    for org, status, held, n in (
        Run.objects.filter(status__in=list(ACTIVE_RUN))
        .values("organisation_id", "status", held=HELD)
        .annotate(n=Count("id"))
        .values_list("organisation_id", "status", "held", "n")
        .order_by()
    ):
        if status == RunStatus.QUEUED:
            counts[org]["held" if held else "queued"] += n
        else:
            counts[org][status] += n
    BacklogSample.objects.bulk_create(
        [BacklogSample(organisation_id=org, at=now, **c) for org, c in counts.items()]
    )
    BacklogSample.objects.filter(at__lt=now - BACKLOG_KEEP).delete()
    return len(counts)


def rollup(now: dt.datetime | None = None, *, full: bool | None = None) -> dict[str, Any]:
    """One tick of the rollup (see the module docstring); returns what it did."""
    now = now or timezone.now()
    mark, _ = RollupMark.objects.get_or_create(name="dashboards")
    state = mark.value or {}
    last_full = state.get("last_full")
    if full is None:
        full = not last_full or dt.datetime.fromisoformat(last_full) < now - HOUR
    current = _floor_hour(now)
    active = _active_hours()
    hours = {current - HOUR * i for i in range(RECENT_HOURS + 1)} | active
    hours |= {dt.datetime.fromisoformat(h) for h in state.get("active_hours", [])}
    if full:
        hours |= {current - HOUR * i for i in range(FULL_HOURS + 1)}
    rows = recompute_hours(hours)
    orgs = sample_backlog(now)
    mark.value = {
        "active_hours": sorted(h.isoformat() for h in active),
        "last_full": now.isoformat() if full else last_full,
        "last_run": now.isoformat(),
    }
    mark.save()
    return {"hours": len(hours), "buckets": rows, "backlog_organisations": orgs}


def rebuild_all() -> int:
    """Every hour that has runs (demo seeding, benchmarks, after a restore)."""
    hours = {
        _floor_hour(h)
        for h in Run.objects.annotate(h=TruncHour("created_at")).values_list("h", flat=True).distinct()
        if h is not None
    }
    RunBucket.objects.all().delete()
    RunDayBucket.objects.all().delete()
    return recompute_hours(hours)


# --- reading ----------------------------------------------------------------------------------------------


def _figures(bins: dict[str, dict[int, int]], counts: dict[str, int]) -> dict[str, Any]:
    finished = counts.get("succeeded", 0) + counts.get("failed", 0) + counts.get("cancelled", 0)
    merged: dict[int, int] = defaultdict(int)
    for status in ("succeeded", "failed", "cancelled"):
        for b, n in bins.get(status, {}).items():
            merged[b] += n
    return {
        "runs": finished + counts.get("active", 0),
        "succeeded": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "cancelled": counts.get("cancelled", 0),
        "active": counts.get("active", 0),
        "failure_rate": round(counts.get("failed", 0) / finished, 4) if finished else None,
        "p50_ms": percentile(merged, 0.5),
        "p95_ms": percentile(merged, 0.95),
    }


class _Acc:
    """Counts and latency bins per group key, from bucket sums."""

    def __init__(self) -> None:
        self.counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.bins: dict[Any, dict[str, dict[int, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )

    def add(self, key: Any, status: str, b: int | None, n: int) -> None:
        self.counts[key][status] += n
        if b is not None:
            self.bins[key][status][b] += n

    def figures(self, key: Any) -> dict[str, Any]:
        return _figures(self.bins.get(key, {}), self.counts.get(key, {}))


def _steps(since: dt.datetime, until: dt.datetime, step: str) -> list[dt.datetime]:
    size = HOUR if step == "hour" else dt.timedelta(days=1)
    start = _floor_hour(since) if step == "hour" else _floor_hour(since).replace(hour=0)
    out = []
    while start < until:
        out.append(start)
        start += size
    return out


def dashboard(
    organisation_ids: list[int],
    *,
    range_key: str = "24h",
    flow_id: int | None = None,
    partner: Organisation | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything a dashboard page shows for these organisations (already restricted to the user)."""
    now = now or timezone.now()
    span, step = RANGES[range_key]
    since = now - span
    start = _floor_hour(since) if step == "hour" else _floor_hour(since).replace(hour=0)
    if step == "hour":
        buckets, at = RunBucket.objects.filter(organisation_id__in=organisation_ids, hour__gte=start), "hour"
    else:
        buckets, at = RunDayBucket.objects.filter(organisation_id__in=organisation_ids, day__gte=start), "day"
    if flow_id is not None:
        buckets = buckets.filter(flow_id=flow_id)
    group_field = "organisation_id" if partner is not None else "flow_id"

    steps = _steps(since, now, step)
    size = HOUR if step == "hour" else DAY
    # One scan: per (flow or customer, outcome, latency bin), a filtered sum per step. The series, the
    # per-group figures and the top groups' lines are all sums of these rows.
    per_step = {
        f"s{i}": Sum("runs", filter=Q(**{f"{at}__gte": t, f"{at}__lt": t + size}))
        for i, t in enumerate(steps)
    }
    series, lines, totals, groups = _Acc(), _Acc(), _Acc(), _Acc()
    for row in buckets.values(group_field, "status", "latency_bin").annotate(**per_step).order_by():
        group, status, b = row[group_field], row["status"], row["latency_bin"]
        for i, t in enumerate(steps):
            n = row[f"s{i}"]
            if n:
                series.add(t, status, b, n)
                totals.add("all", status, b, n)
                groups.add(group, status, b, n)
                lines.add((group, t), status, b, n)

    group_ids = sorted(groups.counts, key=lambda g: -sum(groups.counts[g].values()))
    names = (
        dict(Organisation.objects.filter(pk__in=group_ids).values_list("id", "name"))
        if partner is not None
        else dict(Flow.objects.filter(pk__in=group_ids).values_list("id", "name"))
    )
    line_rows = [
        {
            "key": g,
            "label": names.get(g, str(g)),
            "points": [{"t": t, **_pick(lines.figures((g, t)))} for t in steps],
        }
        for g in group_ids[:TOP_LINES]
    ]
    result: dict[str, Any] = {
        "range": range_key,
        "step": step,
        "since": since,
        "until": now,
        "group_by": "customer" if partner is not None else "flow",
        "totals": totals.figures("all"),
        "series": [{"t": t, **series.figures(t)} for t in steps],
        "lines": line_rows,
        "groups": [{"key": g, "label": names.get(g, str(g)), **groups.figures(g)} for g in group_ids[:100]],
        "backlog": backlog(organisation_ids, since, step),
        "sla": list(sla.attainment(organisation_ids, since).values()),
        "customers": customer_rows(partner, organisation_ids, now) if partner is not None else [],
    }
    updated = RollupMark.objects.filter(name="dashboards").values_list("value", flat=True).first() or {}
    result["rolled_up_at"] = updated.get("last_run")
    return result


def _pick(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: figures[k] for k in ("runs", "failed", "failure_rate", "p50_ms", "p95_ms")}


def backlog(organisation_ids: list[int], since: dt.datetime, step: str) -> dict[str, Any]:
    now_counts = {"queued": 0, "held": 0, "running": 0, "waiting": 0}
    for status, held, n in (
        Run.objects.filter(organisation_id__in=organisation_ids, status__in=list(ACTIVE_RUN))
        .values("status", held=HELD)
        .annotate(n=Count("id"))
        .values_list("status", "held", "n")
        .order_by()
    ):
        if status == RunStatus.QUEUED:
            now_counts["held" if held else "queued"] += n
        else:
            now_counts[status] += n
    # Per step: the largest backlog seen (summed over organisations at each sample).
    per_sample: dict[dt.datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, q, h, r, w in (
        BacklogSample.objects.filter(organisation_id__in=organisation_ids, at__gte=since)
        .values_list("at")
        .annotate(q=Sum("queued"), h=Sum("held"), r=Sum("running"), w=Sum("waiting"))
        .values_list("at", "q", "h", "r", "w")
        .order_by()
    ):
        per_sample[at] = {"queued": q, "held": h, "running": r, "waiting": w}
    peaks: dict[dt.datetime, dict[str, int]] = defaultdict(
        lambda: {"queued": 0, "held": 0, "running": 0, "waiting": 0}
    )
    for at, c in per_sample.items():
        key = _floor_hour(at) if step == "hour" else _floor_hour(at).replace(hour=0)
        for k, v in c.items():
            peaks[key][k] = max(peaks[key][k], v)
    return {
        "now": now_counts,
        "series": [{"t": t, **peaks[t]} for t in _steps(since, timezone.now(), step) if t in peaks],
    }


def customer_rows(
    partner: Organisation, organisation_ids: list[int], now: dt.datetime
) -> list[dict[str, Any]]:
    """One row per customer of the partner: health (24 h), runs and failures per day (7 days), trend."""
    customers = list(Organisation.objects.filter(parent=partner, pk__in=organisation_ids).order_by("name"))
    days = _steps(_floor_hour(now - dt.timedelta(days=6)).replace(hour=0), now, "day")
    last_start, prev_start = (
        _floor_hour(now - dt.timedelta(hours=24)),
        _floor_hour(now - dt.timedelta(hours=48)),
    )
    # One row per (customer, status): a filtered sum per day (day buckets) and per 24-hour window (hours).
    ids = [c.pk for c in customers]
    figures: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    per_day = {f"d{i}": Sum("runs", filter=Q(day=d)) for i, d in enumerate(days)}
    windows = {
        "last": Sum("runs", filter=Q(hour__gte=last_start)),
        "prev": Sum("runs", filter=Q(hour__gte=prev_start, hour__lt=last_start)),
    }
    for query, sums in (
        (RunDayBucket.objects.filter(organisation_id__in=ids, day__gte=days[0]), per_day),
        (RunBucket.objects.filter(organisation_id__in=ids, hour__gte=prev_start), windows),
    ):
        for row in query.values("organisation_id", "status").annotate(**sums).order_by():
            for key in sums:
                figures[row["organisation_id"]][key][row["status"]] += row[key] or 0
    rows = []
    for c in customers:
        f = figures[c.pk]
        total, failed = sum(f["last"].values()), f["last"].get("failed", 0)
        rate = failed / total if total else None
        prev_total = sum(f["prev"].values())
        prev_rate = f["prev"].get("failed", 0) / prev_total if prev_total else None
        trend = "steady"
        if rate is not None and prev_rate is not None:
            trend = "worse" if rate > prev_rate + 0.02 else "better" if rate < prev_rate - 0.02 else "steady"
        rows.append(
            {
                "organisation": {"id": c.pk, "name": c.name, "slug": c.slug},
                "health": health_of(failed, total),
                "runs_24h": total,
                "failed_24h": failed,
                "failure_rate_24h": round(rate, 4) if rate is not None else None,
                "trend": trend,
                "daily": [
                    {"t": d, "runs": sum(f[f"d{i}"].values()), "failed": f[f"d{i}"].get("failed", 0)}
                    for i, d in enumerate(days)
                ],
            }
        )
    return rows
