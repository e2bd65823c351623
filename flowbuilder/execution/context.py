"""Build the NodeContext a node runs with: plain data plus the few capabilities it may use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowbuilder.core.errors import NodeError
from flowbuilder.nodes.base import NodeContext

from . import egress
from .models import TERMINAL_NODE

if TYPE_CHECKING:
    from .engine import Engine


def build_context(engine: Engine, node_id: str, attempt: int) -> NodeContext:
    run = engine.run
    outputs = _LazyOutputs(engine)
    return NodeContext(
        run_id=run.pk,
        node_id=node_id,
        organisation_id=run.organisation_id,
        attempt=attempt,
        correlation_id=str(run.correlation_id),
        node_outputs=outputs,
        variables={},
        run_info={
            "id": run.pk,
            "flow_id": run.flow_id,
            "trigger": run.origin,  # $run.trigger in expressions: kept for existing flows
            "origin": run.origin,
            "correlation_id": str(run.correlation_id),
        },
        http_client=lambda connection_id=None: egress.client_for(
            run.organisation_id, connection_id, run_id=run.pk
        ),
        connection=lambda connection_id: egress.connection_handle(
            run.organisation_id, connection_id, run_id=run.pk
        ),
        run_subflow=lambda flow_id, items: _run_subflow(engine, node_id, flow_id, items),
        crossref=_crossref(run.organisation_id),
    )


def _crossref(organisation_id: int) -> Any:
    from flowbuilder.crossref.store import OrganisationCrossref

    return OrganisationCrossref(organisation_id)


class _LazyOutputs(dict):
    """``$node.<id>.items`` reads upstream outputs only when an expression asks for them."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def __missing__(self, node_id: str) -> dict[str, Any]:
        if node_id not in self._engine.plan.nodes:
            raise KeyError(node_id)
        return self._engine._outputs_of(node_id)

    def _finished(self) -> list[str]:
        return [
            nid
            for nid, state in self._engine.states.items()
            if state.status in TERMINAL_NODE and nid in self._engine.plan.nodes
        ]

    def items(self):  # type: ignore[override]
        return [(nid, self[nid]) for nid in self._finished()]

    def __iter__(self):
        return iter(self._finished())


def _run_subflow(engine: Engine, node_id: str, flow_id: int, items: list) -> list:
    from .subflows import run_subflow

    depth = int((engine.run.options or {}).get("depth", 0))
    if depth >= 5:
        raise NodeError(
            "Sub-flows nest more than 5 levels deep.", hint="Flatten the flows or break the recursion."
        )
    return run_subflow(
        parent=engine.run, parent_node_id=node_id, flow_id=flow_id, items=items, depth=depth + 1
    )
