"""The execution plan of a flow version, parsed once per process: versions are immutable."""

from __future__ import annotations

from functools import lru_cache

from flowbuilder.planning import ExecutionPlan


@lru_cache(maxsize=512)
def plan_for(version_id: int) -> ExecutionPlan:
    """The plan of a version (parsed from its stored JSON once; the engine and the run view share it)."""
    from flowbuilder.flows.models import FlowVersion

    return ExecutionPlan.from_dict(FlowVersion.objects.values_list("plan", flat=True).get(pk=version_id))
