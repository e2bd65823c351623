"""The one registry type: what node types, connectors and canonical mappings all rely on."""

from __future__ import annotations

import importlib.metadata
import threading
from dataclasses import dataclass

import pytest

import flowbuilder.core.registry as core_registry
from connectors.canonical.fields import Field, FieldTable, Mapper
from connectors.canonical.registry import MapperRegistry
from connectors.frozen_registry import Registry, RegistryError, RegistryFrozenError
from connectors.registry import ConnectorRegistry
from flowbuilder.nodes.base import BaseNode
from flowbuilder.nodes.registry import NodeRegistry
from tests.support.fake_connectors import AcmeCRM


@dataclass(frozen=True)
class Thing:
    key: str
    rank: int = 0


def things(**options) -> Registry[str, Thing]:
    return Registry(
        "thing",
        key=lambda t: t.key,
        check=lambda t: [] if t.key.islower() else [f"key {t.key!r} must be lower case"],
        **options,
    )


FIRST, SECOND = Thing("b", 2), Thing("a", 1)
TUPLE_OF_THINGS = (Thing("c"), Thing("d"))


def test_register_read_freeze():
    registry = things()
    registry.register(FIRST, source="builtin x")
    registry.register(SECOND)
    assert [t.key for t in registry] == ["b", "a"]  # registration order by default
    assert registry["a"] is SECOND and registry.get("zz") is None and "b" in registry and len(registry) == 2
    assert registry.source("b") == "builtin x" and registry.source("a") == ""
    registry.freeze()
    with pytest.raises(RegistryFrozenError, match="thing registry is frozen"):
        registry.register(Thing("c"))
    with pytest.raises(TypeError):
        registry.as_mapping()["c"] = Thing("c")  # the mapping view is read-only
    assert set(registry.as_mapping()) == {"a", "b"}


def test_order_duplicates_and_invalid_entries():
    registry = things(order=lambda t: t.rank)
    registry.register(FIRST)
    registry.register(SECOND)
    registry.register(FIRST)  # the same entry again is harmless
    assert [t.key for t in registry] == ["a", "b"]
    with pytest.raises(RegistryError, match="'b' from plugin p is already registered by direct"):
        registry.register(Thing("b", 9), source="plugin p")
    with pytest.raises(RegistryError, match="must be lower case") as info:
        registry.register(Thing("B"), source="plugin q")
    assert "(plugin q)" in info.value.message and info.value.hint


def test_coerce_and_error_class():
    class Refused(Exception):
        def __init__(self, message: str, *, hint: str = "") -> None:
            super().__init__(message)
            self.hint = hint

    registry = Registry(
        "thing", key=lambda t: t.key, coerce=lambda o: o if isinstance(o, Thing) else Thing(o), error=Refused
    )
    assert registry.register("x") == Thing("x")  # a plugin may name something to build the entry from
    with pytest.raises(Refused, match="Thing key 'x' from direct is already registered"):
        registry.register(Thing("x", rank=5))


def test_builtins_by_dotted_path_and_bad_paths():
    registry = things()
    module = __name__
    registry.load_builtins([f"{module}:FIRST", f"{module}:TUPLE_OF_THINGS"])
    assert [t.key for t in registry] == ["b", "c", "d"]
    assert registry.source("c") == f"builtin {module}:TUPLE_OF_THINGS"
    with pytest.raises(RegistryError, match="Built-in thing nowhere.at.all:X could not be imported"):
        registry.load_builtins(["nowhere.at.all:X"])
    with pytest.raises(RegistryError, match="NOPE"):
        registry.load_builtins([f"{module}:NOPE"])


def test_entry_points_name_the_bad_plugin(monkeypatch):
    eps = [
        importlib.metadata.EntryPoint("alpha", f"{__name__}:SECOND", "things"),
        importlib.metadata.EntryPoint("zeta", "no_such_module_here:X", "things"),
    ]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda *, group: eps if group == "things" else [])
    registry = things()
    with pytest.raises(RegistryError, match="Could not load entry point zeta = no_such_module_here:X"):
        registry.load_entry_points("things")
    assert "a" in registry and "entry point alpha" in registry.source("a")


def test_fill_once_runs_once_across_threads():
    registry = things()
    calls = []

    def fill(r: Registry) -> None:
        calls.append(1)
        r.register(Thing("x"))

    workers = [threading.Thread(target=registry.fill_once, args=(fill,)) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert calls == [1] and registry.frozen and registry.fill_once(fill) is registry


class Probe(BaseNode):
    type = "test.probe"
    label = "Probe"


@pytest.mark.parametrize(
    ("make", "entry"),
    [
        (NodeRegistry, Probe),
        (ConnectorRegistry, AcmeCRM),
        (MapperRegistry, Mapper("acme", "customer", "Account", FieldTable(Field("name", "Name")))),
    ],
    ids=["node types", "connectors", "canonical mappings"],
)
def test_every_registry_is_the_one_type_with_the_one_frozen_error(make, entry):
    registry = make()
    assert isinstance(registry, Registry)
    registry.register(entry)
    registry.freeze()
    with pytest.raises(RegistryFrozenError):
        registry.register(entry)
    assert core_registry.Registry is Registry and core_registry.RegistryFrozenError is RegistryFrozenError
