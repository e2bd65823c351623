"""The canonical model: versioned JSON Schemas (``schemas/*.json``) of the business entities that flow
between CRM, PSA and ERP, and pure mapping functions to and from each connector's records.

    to_canonical("netsuite", "invoice", record)   -> canonical invoice dict
    from_canonical("netsuite", "invoice", canon)  -> fields for the NetSuite create/upsert actions
    MAPPERS[("kantata", "time_entry")]            -> the Mapper (what "to/from canonical" nodes list)
"""

from __future__ import annotations

from .registry import MAPPERS, Mapper, from_canonical, mappers_for, to_canonical
from .schemas import ENTITIES, SCHEMA_VERSION, load_schema, validate_canonical

__all__ = [
    "ENTITIES",
    "MAPPERS",
    "SCHEMA_VERSION",
    "Mapper",
    "from_canonical",
    "load_schema",
    "mappers_for",
    "to_canonical",
    "validate_canonical",
]
