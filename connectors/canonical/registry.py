"""The (system, entity) -> mapper registry the "to canonical" / "from canonical" nodes use.

There is no list of mappings here: each connector declares its own (``Connector.canonical_mappings``,
kept in the connector's folder as ``canonical.py``), and this registry is filled from the loaded
connector registry, built-ins and plugins alike, then frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import ConnectorLoadError, InvalidInput
from connectors.frozen_registry import Registry
from connectors.registry import ConnectorRegistry, load_connectors

from .fields import Mapper, Record
from .schemas import ENTITIES


def check_mapper(mapper: Mapper) -> list[str]:
    if not isinstance(mapper, Mapper):
        return [f"{mapper!r} is not a connectors.canonical.fields.Mapper"]
    if mapper.entity not in ENTITIES:
        return [f"entity {mapper.entity!r} must be one of {', '.join(ENTITIES)}"]
    return []


class MapperRegistry(Registry[tuple[str, str], Mapper]):
    """Mappers by (system, entity), in that order."""

    def __init__(self) -> None:
        super().__init__(
            "canonical mapping",
            key=lambda m: (m.system, m.entity),
            check=check_mapper,
            order=lambda m: (m.system, m.entity),
            error=ConnectorLoadError,
        )


mapper_registry = MapperRegistry()


def register_mappers(registry: Registry[tuple[str, str], Mapper], connectors: ConnectorRegistry) -> None:
    """Register the canonical mappings every connector in ``connectors`` declares."""
    for connector in connectors:
        for mapper in connector.canonical_mappings:
            source = f"connector {connector.key} ({connectors.source(connector.key)})"
            registry.register(mapper, source=source)


def load_mappers(registry: MapperRegistry | None = None) -> MapperRegistry:
    """Fill from the loaded connectors once (loading them if needed) and freeze."""
    registry = mapper_registry if registry is None else registry
    registry.fill_once(lambda r: register_mappers(r, load_connectors()))
    return registry


def _mapper(system: str, entity: str) -> Mapper:
    mapper = load_mappers().get((system, entity))
    if mapper is None:
        known = ", ".join(f"{s}/{e}" for s, e in sorted(load_mappers().as_mapping()))
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
        for m in load_mappers()
        if (system is None or m.system == system) and (entity is None or m.entity == entity)
    ]
