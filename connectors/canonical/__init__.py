"""The canonical model: versioned JSON Schemas (``schemas/*.json``) of the business entities that flow
between CRM, PSA and ERP, and the field tables that map each connector's records to and from them.

Each connector declares its mappings (``Connector.canonical_mappings``, in its folder's
``canonical.py``); the registry here is filled from the loaded connectors:

    to_canonical("netsuite", "invoice", record)   -> canonical invoice dict
    from_canonical("netsuite", "invoice", canon)  -> fields for the NetSuite create/upsert actions
    MAPPERS[("kantata", "time_entry")]            -> the Mapper (what "to/from canonical" nodes list)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fields import Composed, Computed, Field, FieldTable, Mapper
from .registry import from_canonical, load_mappers, mappers_for, to_canonical
from .schemas import ENTITIES, SCHEMA_VERSION, load_schema, validate_canonical

__all__ = [
    "ENTITIES",
    "MAPPERS",
    "SCHEMA_VERSION",
    "Composed",
    "Computed",
    "Field",
    "FieldTable",
    "Mapper",
    "from_canonical",
    "load_mappers",
    "load_schema",
    "mappers_for",
    "to_canonical",
    "validate_canonical",
]


def __getattr__(name: str) -> Any:
    # MAPPERS, (system, entity) -> Mapper, exists once the connectors are loaded: load them on first use
    # rather than when this package is imported (connector modules import it for their field tables).
    if name == "MAPPERS":
        mappers: Mapping[tuple[str, str], Mapper] = load_mappers().as_mapping()
        return mappers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
