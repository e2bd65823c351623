"""What a watcher is sent: the run as the API shows it, and the events after a seq."""

from __future__ import annotations

from typing import Any

from flowbuilder.execution.models import Run, RunEvent
from flowbuilder.tenancy.permissions import restrict


def visible_run(user: Any, run_id: int) -> bool:
    return restrict(Run.objects.all(), user, "view").filter(pk=run_id).exists()


def run_snapshot(run_id: int) -> dict[str, Any]:
    from flowbuilder.api.serializers.runs import RunDetailSerializer

    run = Run.objects.select_related("flow", "version").get(pk=run_id)
    data = RunDetailSerializer(run).data
    return {"type": "snapshot", "seq": run.last_seq, "run": data}


def events_after(run_id: int, after_seq: int, limit: int = 5000) -> list[dict[str, Any]]:
    rows = RunEvent.objects.filter(run_id=run_id, seq__gt=after_seq).order_by("seq")[:limit]
    return [row.as_message() for row in rows]
