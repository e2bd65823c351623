"""Manual starts: a person presses Run in the editor (the draft, one node of it, or the published flow)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from flowbuilder.execution.actions import normalise_items, start_run
from flowbuilder.execution.models import Run, RunOrigin
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
    if pinned:
        options["pinned"] = pinned
    with transaction.atomic():
        version = snapshot_draft(actor=actor, flow=flow) if use_draft else None
        return start_run(
            actor=actor,
            flow=flow,
            version=version,
            input_items=items,
            origin=RunOrigin.MANUAL,
            options=options,
        )
