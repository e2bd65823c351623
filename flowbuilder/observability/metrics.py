"""Prometheus metrics read from the database at scrape time.

Runs execute in worker processes; counters kept in one process's memory would only see that process.
The database is the source of truth, so each scrape reads it: runs and node executions by status,
their durations, the queue depth (queued runs, and the broker's ``runs`` list when Redis answers),
retries, and open failures by category. Series carry an ``organisation`` label (its slug) while the number
of organisations stays within ``FLOWBUILDER_METRICS_MAX_ORGANISATIONS``; beyond it they are summed
platform-wide so a scrape never explodes in cardinality.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from flowbuilder.execution.models import FailureRecord, FailureState, NodeRun, NodeStatus, Run, RunStatus
from flowbuilder.tenancy.models import Organisation


def _label_of() -> dict[int, str] | None:
    """Organisation id -> slug, or None when there are too many organisations to label."""
    limit = int(getattr(settings, "FLOWBUILDER_METRICS_MAX_ORGANISATIONS", 200))
    orgs = list(Organisation.objects.values_list("id", "slug")[: limit + 1])
    return None if len(orgs) > limit else dict(orgs)


def _grouped(
    rows: Any, labels: dict[int, str] | None, keys: tuple[str, ...], value: str
) -> dict[tuple, float]:
    out: dict[tuple, float] = {}
    for row in rows:
        org = labels.get(row["org"], str(row["org"])) if labels is not None else "all"
        key = (org, *(str(row[k]) for k in keys))
        out[key] = out.get(key, 0.0) + float(row[value] or 0)
    return out


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Any]:
        labels = _label_of()
        runs = CounterMetricFamily(
            "flowbuilder_runs",
            "Runs by organisation and status (all time).",
            labels=["organisation", "status"],
        )
        rows = Run.objects.values(org=F("organisation_id"), st=F("status")).annotate(n=Count("id")).order_by()
        for (org, st), n in _grouped(rows, labels, ("st",), "n").items():
            runs.add_metric([org, st], n)
        yield runs

        active = GaugeMetricFamily(
            "flowbuilder_runs_active",
            "Runs queued, running or waiting now.",
            labels=["organisation", "status"],
        )
        rows = (
            Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING])
            .values(org=F("organisation_id"), st=F("status"))
            .annotate(n=Count("id"))
            .order_by()
        )
        for (org, st), n in _grouped(rows, labels, ("st",), "n").items():
            active.add_metric([org, st], n)
        yield active

        nodes = CounterMetricFamily(
            "flowbuilder_node_executions",
            "Node executions by organisation and status (all time).",
            labels=["organisation", "status"],
        )
        seconds = CounterMetricFamily(
            "flowbuilder_node_duration_seconds",
            "Total time spent in finished node executions.",
            labels=["organisation"],
        )
        retries = CounterMetricFamily(
            "flowbuilder_node_retries",
            "Attempts beyond the first, over all node executions.",
            labels=["organisation"],
        )
        rows = list(
            NodeRun.objects.values(org=F("run__organisation_id"), st=F("status"))
            .annotate(n=Count("id"), ms=Sum("duration_ms"), attempts=Sum("attempt"))
            .order_by()
        )
        for (org, st), n in _grouped(rows, labels, ("st",), "n").items():
            nodes.add_metric([org, st], n)
        for (org,), ms in _grouped(rows, labels, (), "ms").items():
            seconds.add_metric([org], ms / 1000.0)
        extra = [{**r, "extra": (r["attempts"] or 0) - r["n"]} for r in rows]
        for (org,), n in _grouped(extra, labels, (), "extra").items():
            retries.add_metric([org], max(0.0, n))
        yield nodes
        yield seconds
        yield retries

        waiting = GaugeMetricFamily(
            "flowbuilder_nodes_retrying",
            "Node executions waiting for their next attempt now.",
            labels=["organisation"],
        )
        rows = (
            NodeRun.objects.filter(status=NodeStatus.RETRYING)
            .values(org=F("run__organisation_id"))
            .annotate(n=Count("id"))
            .order_by()
        )
        for (org,), n in _grouped(rows, labels, (), "n").items():
            waiting.add_metric([org], n)
        yield waiting

        run_seconds = CounterMetricFamily(
            "flowbuilder_run_duration_seconds", "Total duration of finished runs.", labels=["organisation"]
        )
        rows = (
            Run.objects.filter(started_at__isnull=False, finished_at__isnull=False)
            .values(org=F("organisation_id"))
            .annotate(s=Sum(F("finished_at") - F("started_at")))
            .order_by()
        )
        for row in rows:
            row["s"] = row["s"].total_seconds() if row["s"] is not None else 0
        for (org,), s in _grouped(rows, labels, (), "s").items():
            run_seconds.add_metric([org], s)
        yield run_seconds

        failures = GaugeMetricFamily(
            "flowbuilder_open_failures",
            "Open failures in the inbox by organisation, category and kind (run or item).",
            labels=["organisation", "category", "kind"],
        )
        rows = (
            FailureRecord.objects.exclude(state=FailureState.RESOLVED)
            .values(org=F("organisation_id"), cat=F("category"), k=F("kind"))
            .annotate(n=Count("id"))
            .order_by()
        )
        for (org, cat, k), n in _grouped(rows, labels, ("cat", "k"), "n").items():
            failures.add_metric([org, cat, k], n)
        yield failures

        depth = GaugeMetricFamily("flowbuilder_queue_depth", "Messages waiting in the broker's runs queue.")
        depth.add_metric([], _broker_depth())
        yield depth


def _broker_depth() -> float:
    """The length of the Redis list behind the ``runs`` queue; -1 when the broker does not answer."""
    try:
        import redis

        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        return float(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    except Exception:
        return -1.0


def render() -> tuple[bytes, str]:
    """One scrape in the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
