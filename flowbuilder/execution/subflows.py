"""Run another published flow inline, as one node of the calling run."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from flowbuilder.core.errors import NodeError
from flowbuilder.flows.models import Flow

from .models import Run, RunOrigin, RunStatus

MAX_DEPTH = 5


def run_subflow(
    *, parent: Run, parent_node_id: str, flow_id: int, items: list, drive: Callable[[int], None]
) -> list:
    """Run ``flow_id`` as a child of ``parent``; ``drive(child_run_id)`` executes it inline."""
    depth = int((parent.options or {}).get("depth", 0)) + 1
    if depth > MAX_DEPTH:
        raise NodeError(
            f"Sub-flows nest more than {MAX_DEPTH} levels deep.",
            hint="Flatten the flows or break the recursion.",
        )
    flow = Flow.objects.filter(pk=flow_id, organisation_id=parent.organisation_id).first()
    if flow is None or flow.published_version_id is None:
        raise NodeError(
            f"Sub-flow {flow_id} does not exist in this organisation or is not published.",
            hint="Pick a published flow of the same organisation.",
        )
    # One child run per (parent run, node): a resumed parent continues the same child, never a second one.
    with transaction.atomic():
        child, _ = Run.objects.get_or_create(
            parent_run=parent,
            parent_node_id=parent_node_id,
            defaults={
                "organisation_id": parent.organisation_id,
                "flow": flow,
                "version_id": flow.published_version_id,
                "origin": RunOrigin.SUBFLOW,
                "input_items": items,
                "options": {"depth": depth},
                "correlation_id": parent.correlation_id,
                "dispatched_at": timezone.now(),  # driven inline by its parent: never admitted separately
            },
        )
    drive(child.pk)
    child.refresh_from_db()
    if child.status != RunStatus.SUCCEEDED:
        error = child.error or {}
        raise NodeError(
            f"Sub-flow run {child.pk} {child.status}: {error.get('message', 'see its run')}",
            hint="Open the sub-flow run to see which node failed.",
        )
    return list(child.output_items or [])
