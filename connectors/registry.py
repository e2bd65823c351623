"""The connector registry: built-ins plus the ``flowbuilder.connectors`` entry point group, then frozen.

Like NetBox's registry, it is filled once at start-up and read-only afterwards, so no code path can
change what connectors exist while runs execute. A third-party package ships a connector by declaring::

    [project.entry-points."flowbuilder.connectors"]
    acme = "acme_flowbuilder.connector:AcmeConnector"

Built-ins are an explicit list of dotted paths (no folder scanning). A plugin that fails to import or
declares an invalid connector stops start-up with a message naming it: failing loudly beats a palette
that silently lacks a connector some flows use.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.base import Connector, as_connector, check_connector
from connectors.errors import ConnectorLoadError, RegistryFrozenError

ENTRY_POINT_GROUP = "flowbuilder.connectors"
# Add a line here when a connector ships inside this repository.
BUILTIN_CONNECTORS: tuple[str, ...] = (
    "connectors.http.connector:GenericRestConnector",
    "connectors.crm.salesforce.connector:SalesforceConnector",
    "connectors.psa.certinia.connector:CertiniaConnector",
    "connectors.psa.kantata.connector:KantataConnector",
    "connectors.erp.netsuite.connector:NetSuiteConnector",
    "connectors.erp.dynamics.connector:DynamicsConnector",
)


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}
        self._sources: dict[str, str] = {}
        self._frozen = False
        self._lock = threading.Lock()

    def register(self, connector: Connector | type[Connector], *, source: str = "") -> Connector:
        """Add one connector (class or instance); refuses after :meth:`freeze`, duplicates and bad ones."""
        instance = as_connector(connector)
        problems = check_connector(instance)
        if problems:
            raise ConnectorLoadError(
                f"Connector {getattr(instance, 'key', instance)!r} ({source or 'direct'}) is invalid: "
                + "; ".join(problems),
                hint="Fix the connector declaration.",
            )
        with self._lock:
            if self._frozen:
                raise RegistryFrozenError(
                    f"The connector registry is frozen; cannot register {instance.key!r}."
                )
            existing = self._connectors.get(instance.key)
            if existing is not None and type(existing) is not type(instance):
                raise ConnectorLoadError(
                    f"Connector key {instance.key!r} from {source or 'direct'} is already registered by "
                    f"{self._sources.get(instance.key) or 'direct'}.",
                    hint="Connector keys must be unique; uninstall one of the packages.",
                )
            self._connectors[instance.key] = instance
            self._sources[instance.key] = source
        return instance

    def load_builtins(self, paths: Iterable[str] = BUILTIN_CONNECTORS) -> None:
        for path in paths:
            self.register(_import_object(path), source=f"builtin {path}")

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every connector advertised by installed distributions; return the entry point names."""
        names: list[str] = []
        # Looked up through the module so tests can monkeypatch importlib.metadata.entry_points.
        for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            dist = getattr(getattr(ep, "dist", None), "name", None) or "?"
            source = f"entry point {ep.name} = {ep.value} ({dist})"
            try:
                loaded = ep.load()
            except Exception as exc:  # any import-time failure of a plugin is reported the same way
                raise ConnectorLoadError(
                    f"Could not load {source}: {type(exc).__name__}: {exc}",
                    hint="Fix or uninstall the package providing it.",
                ) from exc
            for obj in loaded if isinstance(loaded, list | tuple) else [loaded]:
                self.register(obj, source=source)
            names.append(ep.name)
        return names

    def freeze(self) -> None:
        with self._lock:
            self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def get(self, key: str) -> Connector | None:
        return self._connectors.get(key)

    def __getitem__(self, key: str) -> Connector:
        return self._connectors[key]

    def __contains__(self, key: object) -> bool:
        return key in self._connectors

    def __iter__(self) -> Iterator[Connector]:
        return iter(sorted(self._connectors.values(), key=lambda c: (c.category, c.name)))

    def __len__(self) -> int:
        return len(self._connectors)

    def source(self, key: str) -> str:
        return self._sources.get(key, "")


def _import_object(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConnectorLoadError(f"Built-in connector {path} could not be imported: {exc}") from exc


connector_registry = ConnectorRegistry()
_load_lock = threading.Lock()


def load_connectors(registry: ConnectorRegistry | None = None) -> ConnectorRegistry:
    """Fill (built-ins, then entry points) and freeze once; later calls return the same registry."""
    registry = connector_registry if registry is None else registry
    with _load_lock:
        if not registry.frozen:
            registry.load_builtins()
            registry.load_entry_points()
            registry.freeze()
    return registry


def get_connector(key: str) -> Connector:
    connector = load_connectors().get(key)
    if connector is None:
        raise ConnectorLoadError(f"No connector {key!r} is installed.", hint="Install the connector package.")
    return connector
