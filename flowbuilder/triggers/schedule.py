"""Pure timing: which trigger nodes a flow document has, when each is next due, how failures back off."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from flowbuilder.core import cron
from flowbuilder.nodes.builtins.triggers import ScheduleTrigger
from flowbuilder.nodes.connector_nodes import ConnectorTriggerNode
from flowbuilder.nodes.registry import load_registry

from .models import TriggerKind

BACKOFF_CAP_S = 3600.0
NOMINAL_CRON_INTERVAL_S = 60


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger node that runs on its own (polling or schedule), as the published document has it."""

    node_id: str
    node_type: str
    kind: str
    config: dict[str, Any]

    @property
    def node_cls(self) -> Any:
        return load_registry().get(self.node_type)

    @property
    def interval_s(self) -> int:
        if self.kind == TriggerKind.POLL:
            return self.node_cls.interval_s(self.config)
        if self.config.get("mode") == "cron":
            return NOMINAL_CRON_INTERVAL_S
        return max(1, int(self.config.get("interval_s") or 3600))

    @property
    def fingerprint(self) -> str:
        """What the cursor depends on; the interval is left out so changing it keeps the cursor."""
        relevant = {k: v for k, v in self.config.items() if k != "interval_s"}
        if self.kind == TriggerKind.SCHEDULE:
            relevant = {}  # a schedule's cursor is only the last tick: keep it across edits
        text = json.dumps([self.node_type, relevant], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def trigger_specs(document: Mapping[str, Any] | None) -> list[TriggerSpec]:
    """Polling and schedule trigger nodes of a flow document (disabled nodes do not run)."""
    registry = load_registry()
    specs = []
    for node in (document or {}).get("nodes") or []:
        if not isinstance(node, Mapping) or node.get("disabled"):
            continue
        cls = registry.get(str(node.get("type")))
        if cls is None:
            continue
        if issubclass(cls, ConnectorTriggerNode):
            kind = TriggerKind.POLL
        elif issubclass(cls, ScheduleTrigger):
            kind = TriggerKind.SCHEDULE
        else:
            continue
        specs.append(TriggerSpec(str(node["id"]), cls.type, kind, dict(node.get("config") or {})))
    return specs


def first_due(spec: TriggerSpec, now: datetime, zone: tzinfo = cron.UTC) -> datetime:
    """A new polling trigger polls at once (to set its starting point); a schedule waits for its tick."""
    if spec.kind == TriggerKind.POLL:
        return now
    return next_due(spec, now, zone)


def next_due(spec: TriggerSpec, now: datetime, zone: tzinfo = cron.UTC) -> datetime:
    """When the trigger is next due; a cron schedule ticks in ``zone`` (the organisation's)."""
    if spec.kind == TriggerKind.SCHEDULE and spec.config.get("mode") == "cron":
        return next_cron_time(str(spec.config.get("cron") or ""), now, zone)
    return now + timedelta(seconds=spec.interval_s)


def next_cron_time(expression: str, after: datetime, zone: tzinfo = cron.UTC) -> datetime:
    """The first fire time strictly after ``after`` of the five-field expression read in ``zone``
    (daylight saving as ``core.cron`` documents), in UTC; ValueError if it never matches."""
    return cron.next_fire_time(expression, after, zone).astimezone(cron.UTC)


def preview(config: Mapping[str, Any], now: datetime, zone: tzinfo, count: int = 5) -> list[datetime]:
    """The next ``count`` ticks of a schedule trigger's config, in ``zone``; ValueError names what is
    wrong with a cron expression."""
    if config.get("mode") == "cron":
        return cron.next_fire_times(str(config.get("cron") or ""), now, zone, count)
    interval = max(1, int(config.get("interval_s") or 3600))
    return [t.astimezone(zone) for t in cron.every(interval, now, count)]


def backoff(interval_s: float, failures: int, retry_after: float | None = None) -> float:
    """Seconds until the next attempt after ``failures`` consecutive failures: the interval doubled per
    failure with +-10% jitter, capped at an hour, never sooner than the system's Retry-After."""
    base = min(BACKOFF_CAP_S, max(1.0, float(interval_s)) * (2 ** min(max(failures, 1) - 1, 16)))
    delay = base * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not security
    return max(delay, float(retry_after or 0))
