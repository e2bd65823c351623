"""The cross-reference capability a node gets as ``ctx.crossref``: bound to the run's organisation,
plain strings in and out, no ORM objects (see ``flowbuilder.nodes.base.CrossrefStore``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import RecordRef

from . import actions, echoes, match_actions


class OrganisationCrossref:
    def __init__(self, organisation_id: int, run_id: int | None = None, flow_id: int | None = None) -> None:
        self.organisation_id = organisation_id
        self.flow_id = flow_id  # whose writes these are (echo suppression is per flow)
        self.run_id = run_id  # the run whose nodes write links (the business trace notes it)

    def lookup(self, entity: str, source_system: str, source_id: str, target_system: str) -> str | None:
        return actions.counterpart(self.organisation_id, entity, source_system, str(source_id), target_system)

    def link(
        self, entity: str, source_system: str, source_id: str, target_system: str, target_id: str
    ) -> str:
        canonical = actions.link(
            self.organisation_id,
            entity,
            source_system,
            str(source_id),
            target_system,
            str(target_id),
            run_id=self.run_id,
        )
        return str(canonical)

    def upsert(
        self,
        entity: str,
        source_system: str,
        source_id: str,
        target_system: str,
        create: Callable[[], str],
        update: Callable[[str], Any],
    ) -> dict[str, Any]:
        result = actions.upsert_via_crossref(
            self.organisation_id,
            entity,
            source_system,
            str(source_id),
            target_system,
            create,
            update,
            run_id=self.run_id,
        )
        return {
            "target_id": result.target_id,
            "created": result.created,
            "canonical_id": str(result.canonical_id),
        }

    def match(
        self,
        entity: str,
        source_system: str,
        source_id: str,
        target_system: str,
        *,
        source: dict[str, Any],
        candidates: list[dict[str, Any]],
        node_id: str = "",
        item_index: int | None = None,
    ) -> dict[str, Any]:
        return match_actions.match_record(
            self.organisation_id,
            entity=entity,
            source_system=source_system,
            source_id=str(source_id),
            target_system=target_system,
            source=source,
            candidates=candidates,
            run_id=self.run_id,
            flow_id=self.flow_id,
            node_id=node_id,
            item_index=item_index,
        )

    def mark_written(self, system: str, records: list[RecordRef]) -> None:
        if records:
            echoes.mark_written(self.organisation_id, system, records, flow_id=self.flow_id)
