"""Flows in the database for tests: created and published through the product's own actions."""

from __future__ import annotations

from typing import Any

from flowbuilder.flows import actions as flow_actions
from flowbuilder.flows.models import Flow


def published_flow(user: Any, org: Any, name: str, doc: dict) -> Flow:
    """Create a flow from ``doc`` as ``user`` and publish it; returned fresh (published version set)."""
    flow = flow_actions.create_flow(actor=user, organisation=org, name=name, document=doc)
    flow_actions.publish_flow(actor=user, flow=flow)
    flow.refresh_from_db()
    return flow
