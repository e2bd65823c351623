"""Build the NodeContext a node runs with: plain data plus the few capabilities it may use.

The caller (the engine) hands over what a node may reach: the run, a reader of finished upstream outputs
and a sub-flow runner. This module knows nothing of the engine, so the two do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flowbuilder.core.item_spool import plain
from flowbuilder.nodes.base import NodeContext

from . import approvals, connections, waits
from .models import Run


def build_context(
    run: Run,
    node_id: str,
    attempt: int,
    *,
    resume: Mapping[str, Any] | None = None,
    outputs_of: Callable[[str], dict[str, list]],
    known_nodes: Iterable[str],
    finished_nodes: Callable[[], list[str]],
    run_subflow: Callable[[int, list], list],
) -> NodeContext:
    return NodeContext(
        run_id=run.pk,
        node_id=node_id,
        organisation_id=run.organisation_id,
        attempt=attempt,
        correlation_id=str(run.correlation_id),
        node_outputs=_LazyOutputs(outputs_of, frozenset(known_nodes), finished_nodes),
        variables={},
        run_info={
            "id": run.pk,
            "flow_id": run.flow_id,
            "trigger": run.origin,  # $run.trigger in expressions: kept for existing flows
            "origin": run.origin,
            "correlation_id": str(run.correlation_id),
        },
        http_client=lambda connection_id=None: connections.client_for(
            run.organisation_id, connection_id, run_id=run.pk
        ),
        connection=lambda connection_id: connections.connection_handle(
            run.organisation_id, connection_id, run_id=run.pk
        ),
        run_subflow=run_subflow,
        crossref=_crossref(run.organisation_id, run.pk, run.flow_id),
        resume=resume,
        timezone=lambda: _organisation_zone(run.organisation_id),
        resume_url=lambda: waits.resume_url(run.pk, node_id),
        approvals=approvals.RunApprovals(run, node_id),
    )


def _organisation_zone(organisation_id: int) -> tzinfo:
    from flowbuilder.tenancy.models import Organisation

    org = Organisation.objects.only("timezone").filter(pk=organisation_id).first()
    return org.zone if org else ZoneInfo("UTC")


def _crossref(organisation_id: int, run_id: int | None = None, flow_id: int | None = None) -> Any:
    from flowbuilder.crossref.store import OrganisationCrossref

    return OrganisationCrossref(organisation_id, run_id, flow_id)


class _LazyOutputs(dict):
    """``$node.<id>.items`` reads upstream outputs only when an expression asks for them."""

    def __init__(
        self,
        outputs_of: Callable[[str], dict[str, list]],
        known: frozenset[str],
        finished: Callable[[], list[str]],
    ) -> None:
        super().__init__()
        self._outputs_of, self._known, self._finished = outputs_of, known, finished

    def __missing__(self, node_id: str) -> dict[str, Any]:
        if node_id not in self._known:
            raise KeyError(node_id)
        return plain(self._outputs_of(node_id))  # expressions see lists

    def items(self):  # type: ignore[override]
        return [(nid, self[nid]) for nid in self._finished()]

    def __iter__(self):
        return iter(self._finished())


class _LookupOnlyCrossref:
    """The crossref store with reads only: a dry evaluation may look links up but never write one."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def lookup(self, entity: str, source_system: str, source_id: str, target_system: str) -> str | None:
        return self._store.lookup(entity, source_system, source_id, target_system)

    def __getattr__(self, name: str) -> Any:
        from flowbuilder.core.errors import NodeError

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise NodeError(f"crossref.{name} writes; it does not run while revalidating.")

        return refused


def build_dry_context(run: Run, node_id: str, outputs: Mapping[str, dict[str, list]]) -> NodeContext:
    """A context for evaluating a node of ``run`` again without side effects (revalidation): the same plain
    data as :func:`build_context`, recomputed upstream ``outputs``, and no way out (no HTTP client, no
    connections, no sub-flows, no approvals; cross-references can be looked up, not written)."""
    return NodeContext(
        run_id=run.pk,
        node_id=node_id,
        organisation_id=run.organisation_id,
        attempt=1,
        correlation_id=str(run.correlation_id),
        node_outputs=dict(outputs),
        variables={},
        run_info={
            "id": run.pk,
            "flow_id": run.flow_id,
            "trigger": run.origin,
            "origin": run.origin,
            "correlation_id": str(run.correlation_id),
        },
        http_client=None,
        connection=None,
        run_subflow=None,
        crossref=_LookupOnlyCrossref(_crossref(run.organisation_id, run.pk, run.flow_id)),
        timezone=lambda: _organisation_zone(run.organisation_id),
    )
