"""The frozen registry type flowbuilder's registries are made of (node types; connectors and canonical
mappings are registries of the connector SDK).

Defined in ``connectors.frozen_registry`` because ``connectors`` must never import flowbuilder, and
re-exported here so flowbuilder code names it from its own core (ADR 0004).
"""

from connectors.frozen_registry import Registry, RegistryError, RegistryFrozenError

__all__ = ["Registry", "RegistryError", "RegistryFrozenError"]
