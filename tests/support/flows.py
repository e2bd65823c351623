"""Flows in the database for tests: created and published through the product's own actions."""

from __future__ import annotations

from typing import Any

from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow


def published_flow(user: Any, org: Any, name: str, doc: dict, *, comment: str = "", **fields: Any) -> Flow:
    """Create a flow from ``doc`` as ``user`` and publish it; returned fresh (published version set).

    ``org`` None is the user's first organisation; ``fields`` are flow fields to set after publishing
    (``criticality``, ``max_concurrent_runs``, ...)."""
    if org is None:
        org = user.memberships.first().organisation
    flow = flow_actions.create_flow(actor=user, organisation=org, name=name, document=doc)
    flow_actions.publish_flow(actor=user, flow=flow, comment=comment)
    flow.refresh_from_db()
    if fields:
        for key, value in fields.items():
            setattr(flow, key, value)
        flow.save(update_fields=list(fields))
    return flow
