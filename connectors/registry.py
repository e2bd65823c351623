"""The connector registry: built-ins plus the ``flowbuilder.connectors`` entry point group, then frozen.

A :class:`~connectors.frozen_registry.Registry` of connector instances by key, filled once at start-up
and read-only afterwards. A third-party package ships a connector (and, on its class, the connector's
canonical mappings) by declaring::

    [project.entry-points."flowbuilder.connectors"]
    acme = "acme_flowbuilder.connector:AcmeConnector"

Built-ins are an explicit list of dotted paths (no folder scanning). A plugin that fails to import or
declares an invalid connector stops start-up with a message naming it: failing loudly beats a palette
that silently lacks a connector some flows use.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.base import Connector, as_connector, check_connector
from connectors.errors import ConnectorLoadError
from connectors.frozen_registry import Registry

ENTRY_POINT_GROUP = "flowbuilder.connectors"
# Add a line here when a connector ships inside this repository.
BUILTIN_CONNECTORS: tuple[str, ...] = (
    "connectors.generic.http.connector:GenericRestConnector",
    "connectors.crm.salesforce.connector:SalesforceConnector",
    "connectors.psa.certinia.connector:CertiniaConnector",
    "connectors.psa.kantata.connector:KantataConnector",
    "connectors.erp.netsuite.connector:NetSuiteConnector",
    "connectors.erp.dynamics.connector:DynamicsConnector",
)


def _same_class(a: Connector, b: Connector) -> bool:
    return type(a) is type(b)


class ConnectorRegistry(Registry[str, Connector]):
    """Connector instances by key, listed by category and name."""

    def __init__(self) -> None:
        super().__init__(
            "connector",
            key=lambda c: c.key,
            coerce=as_connector,
            check=check_connector,
            same=_same_class,
            order=lambda c: (c.category, c.name),
            error=ConnectorLoadError,
        )

    def load_builtins(self, paths: Iterable[str] = BUILTIN_CONNECTORS) -> None:
        super().load_builtins(paths)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        return super().load_entry_points(group)


connector_registry = ConnectorRegistry()


def _fill(registry: Registry[str, Connector]) -> None:
    registry.load_builtins(BUILTIN_CONNECTORS)
    registry.load_entry_points(ENTRY_POINT_GROUP)


def load_connectors(registry: ConnectorRegistry | None = None) -> ConnectorRegistry:
    """Fill (built-ins, then entry points) and freeze once; later calls return the same registry."""
    registry = connector_registry if registry is None else registry
    registry.fill_once(_fill)
    return registry


def get_connector(key: str) -> Connector:
    connector = load_connectors().get(key)
    if connector is None:
        raise ConnectorLoadError(f"No connector {key!r} is installed.", hint="Install the connector package.")
    return connector
