"""The frozen node-type registry: filled once at start-up, read-only afterwards.

Built-in node types register here; every connector action becomes a node type through
``flowbuilder.nodes.connector_nodes``. After :func:`freeze` a registration raises, so no code path can
change the palette while runs execute.
"""

from __future__ import annotations

from collections.abc import Iterator

from .base import BaseNode


class RegistryFrozenError(RuntimeError):
    pass


class NodeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[BaseNode]] = {}
        self._frozen = False

    def register(self, node_cls: type[BaseNode]) -> type[BaseNode]:
        if self._frozen:
            raise RegistryFrozenError(f"registry is frozen; cannot register {node_cls.type}")
        if node_cls.type in self._types and self._types[node_cls.type] is not node_cls:
            raise ValueError(f"node type {node_cls.type!r} registered twice")
        self._types[node_cls.type] = node_cls
        return node_cls

    def freeze(self) -> None:
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def get(self, type_id: str) -> type[BaseNode] | None:
        return self._types.get(type_id)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __iter__(self) -> Iterator[type[BaseNode]]:
        return iter(sorted(self._types.values(), key=lambda c: (c.category, c.label)))

    def __len__(self) -> int:
        return len(self._types)


node_registry = NodeRegistry()
register = node_registry.register


def load_registry() -> NodeRegistry:
    """Import the built-ins and connector nodes once, then freeze. Safe to call repeatedly."""
    if not node_registry.frozen:
        from . import (
            builtins,  # noqa: F401  (registers on import)
            connector_nodes,
        )

        connector_nodes.register_connector_nodes(node_registry)
        node_registry.freeze()
    return node_registry
