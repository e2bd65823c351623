"""Manual starts: a person presses Run in the editor (the draft, one node of it, or the published flow)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from flowbuilder.execution.actions import normalise_items, start_run
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunOrigin
from flowbuilder.flows.actions import draft_pins, snapshot_draft
from flowbuilder.flows.models import Flow


def run_manually(
    *,
    actor: Any,
    flow: Flow,
    input_data: Any,
    use_draft: bool = False,
    only_node: str = "",
    pinned: dict[str, list] | None = None,
) -> Run:
    """Start a manual run; with ``use_draft`` the current draft is frozen first, in the same transaction.

    One transaction, so a refused start (no permission, bad input) leaves no orphan snapshot behind.
    """
    items = normalise_items(input_data)
    options: dict[str, Any] = {}
    if only_node:
        options["only_node"] = only_node
    # The draft's pins (stored per node on the server) win over what the editor sends (last-run data);
    # a published run never reads them.
    pinned = {**(pinned or {}), **draft_pins(flow)} if use_draft and only_node else pinned
    with transaction.atomic():
        version = snapshot_draft(actor=actor, flow=flow) if use_draft else None
        if only_node:
            document = version.document if version else getattr(flow.published_version, "document", None)
            pinned = upstream_items(flow, document or {}, only_node, pinned or {})
        if pinned:
            options["pinned"] = pinned
        return start_run(
            actor=actor,
            flow=flow,
            version=version,
            input_items=items,
            origin=RunOrigin.MANUAL,
            options=options,
        )


def upstream_items(
    flow: Flow, document: dict[str, Any], node_id: str, pinned: dict[str, list]
) -> dict[str, list]:
    """What stands in for ``node_id``'s inputs when it runs alone ("run this node"): the pinned items
    the editor sent for a predecessor, else that predecessor's output (on the linked port) in the
    flow's latest run where it succeeded. A predecessor with neither gives no items."""
    result = dict(pinned)
    links = [e for e in document.get("edges", []) if e.get("target") == node_id]
    for source in {link.get("source") for link in links} - set(result):
        last = (
            NodeRun.objects.filter(run__flow=flow, node_id=source, status=NodeStatus.SUCCEEDED)
            .order_by("-run_id")
            .values_list("output_items", flat=True)
            .first()
        )
        if not last:
            continue
        ports = {link.get("source_port") or "main" for link in links if link.get("source") == source}
        result[source] = [item for port in sorted(ports) for item in (last.get(port) or [])]
    return {k: v for k, v in result.items() if v}
