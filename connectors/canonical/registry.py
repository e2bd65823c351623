"""The (system, entity) -> mapper registry the "to canonical" / "from canonical" nodes use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import InvalidInput

from .mappings import certinia, dynamics, kantata, netsuite, salesforce

Record = dict[str, Any]


@dataclass(frozen=True)
class Mapper:
    system: str
    entity: str
    source: str  # the record type in that system, e.g. "Account" or "salesInvoices"
    to_canonical: Callable[[Mapping[str, Any]], Record]
    from_canonical: Callable[[Mapping[str, Any]], Record]

    def describe(self) -> dict[str, str]:
        return {"system": self.system, "entity": self.entity, "source": self.source}


def _build() -> dict[tuple[str, str], Mapper]:
    out: dict[tuple[str, str], Mapper] = {}
    for module in (salesforce, certinia, kantata, netsuite, dynamics):
        for entity, (source, to_fn, from_fn) in module.MAPPINGS.items():
            out[(module.SYSTEM, entity)] = Mapper(module.SYSTEM, entity, source, to_fn, from_fn)
    return out


MAPPERS: dict[tuple[str, str], Mapper] = _build()


def _mapper(system: str, entity: str) -> Mapper:
    mapper = MAPPERS.get((system, entity))
    if mapper is None:
        known = ", ".join(f"{s}/{e}" for s, e in sorted(MAPPERS))
        raise InvalidInput(f"No canonical mapping for {system}/{entity}.", hint=f"Available: {known}")
    return mapper


def to_canonical(system: str, entity: str, record: Mapping[str, Any]) -> Record:
    """A system's record (as the connector's actions return it) -> the canonical entity."""
    return _mapper(system, entity).to_canonical(record)


def from_canonical(system: str, entity: str, canonical: Mapping[str, Any]) -> Record:
    """A canonical entity -> the fields the connector's create/upsert actions take (unset values omitted)."""
    return _mapper(system, entity).from_canonical(canonical)


def mappers_for(system: str | None = None, entity: str | None = None) -> list[Mapper]:
    return [
        m
        for (s, e), m in sorted(MAPPERS.items())
        if (system is None or s == system) and (entity is None or e == entity)
    ]
