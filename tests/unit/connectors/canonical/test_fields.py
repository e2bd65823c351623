"""Field tables: one declaration gives both directions. The mechanism, every built-in mapping's two-way
fields, and the mapper registry filled from connectors (plugins included)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import Connector, check_connector
from connectors.canonical import load_mappers, load_schema
from connectors.canonical.convert import always, negate, num, text
from connectors.canonical.fields import Composed, Computed, Field, FieldTable, Mapper
from connectors.canonical.registry import MapperRegistry, register_mappers
from connectors.errors import ConnectorLoadError
from connectors.registry import ConnectorRegistry


def _cents(value: Any) -> float | None:
    return None if value is None else value / 100


def _to_cents(value: Any) -> int | None:
    return None if value is None else round(value * 100)


TABLE = FieldTable(
    Computed("source_system", always("acme")),
    Field("source_id", "Id", read=text, write=None),
    Field("name", "Name"),
    Field("amount", "AmountCents", read=_cents, write=_to_cents),
    Field("active", "Archived", read=negate, write=negate),
    Field("address.city", "City"),
    Field("address.country", "Country"),
    Computed("full_name", lambda r: " ".join(p for p in (r.get("First"), r.get("Last")) if p) or None),
    Composed("Kind", always("customer")),
)
RECORD = {
    "Id": 7,
    "Name": "Acme",
    "AmountCents": 1250,
    "Archived": False,
    "City": "Oslo",
    "First": "Ada",
    "Last": "Lovelace",
}


def test_to_canonical_reads_converts_and_nests():
    assert TABLE.to_canonical(RECORD) == {
        "source_system": "acme",
        "source_id": "7",
        "name": "Acme",
        "amount": 12.5,
        "active": True,
        "address": {"city": "Oslo"},
        "full_name": "Ada Lovelace",
    }


def test_from_canonical_writes_converts_and_leaves_unset_out():
    canonical = {
        "name": "Acme",
        "amount": 12.5,
        "active": True,
        "address": {"city": "Oslo"},
        "source_id": "9",  # read only: never written
    }
    assert TABLE.from_canonical(canonical) == {
        "Name": "Acme",
        "AmountCents": 1250,
        "Archived": False,
        "City": "Oslo",
        "Kind": "customer",
    }
    # Nothing set: nothing written but the composed constant, and no empty nested object is read back.
    assert TABLE.from_canonical({}) == {"Kind": "customer"}
    assert "address" not in TABLE.to_canonical({"Name": "X"})


def test_round_trip_of_the_two_way_fields():
    two_way = {f.system for f in TABLE.two_way()}
    assert two_way == {"Name", "AmountCents", "Archived", "City", "Country"}
    system = {k: v for k, v in RECORD.items() if k in two_way}
    assert TABLE.from_canonical(TABLE.to_canonical(system)) == {**system, "Kind": "customer"}
    canonical = {"name": "Acme", "amount": 3.25, "active": False, "address": {"city": "Oslo", "country": "N"}}
    back = TABLE.to_canonical(TABLE.from_canonical(canonical))
    assert {k: back[k] for k in canonical} == canonical


def test_a_table_refuses_what_is_not_an_entry():
    with pytest.raises(TypeError):
        FieldTable(("name", "Name"))  # type: ignore[arg-type]


# --- every built-in mapping: a two-way field gives back what was written ---------------------------

SAMPLES = {"string": "S-1", "number": 12, "integer": 12, "boolean": True, "array": [], "object": {}}


def _sample(entity: str, dotted: str) -> Any:
    spec: dict[str, Any] = load_schema(entity)
    for part in dotted.split("."):
        spec = spec["properties"][part]
    if "enum" in spec:
        return spec["enum"][0]
    if dotted.endswith("currency"):
        return "USD"
    if spec.get("format") == "date":
        return "2026-01-05"
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    return SAMPLES[next(k for k in kinds if k != "null")]


def _get(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = (data or {}).get(part)
    return data


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


@pytest.mark.parametrize("mapper", list(load_mappers()), ids=lambda m: f"{m.system}-{m.entity}")
def test_two_way_fields_of_every_mapping_round_trip(mapper: Mapper):
    fields = mapper.table.two_way()
    assert fields, "a mapping that writes nothing it reads cannot be checked"
    required = load_schema(mapper.entity)["required"]
    canonical: dict[str, Any] = {name: _sample(mapper.entity, name) for name in required}
    for f in fields:
        _set(canonical, f.canonical, _sample(mapper.entity, f.canonical))
    back = mapper.to_canonical(mapper.from_canonical(canonical))
    for f in fields:
        assert _get(back, f.canonical) == _get(canonical, f.canonical), (f.canonical, f.system)


# --- the mapper registry is filled from connectors -------------------------------------------------

WIDGET = Mapper("widget", "customer", "Company", FieldTable(Field("name", "title"), Field("number", "no")))


class WidgetERP(Connector):
    key = "widget"
    name = "Widget ERP"
    category = "ERP"
    canonical_mappings = (WIDGET,)


def _connectors(*classes: type[Connector]) -> ConnectorRegistry:
    registry = ConnectorRegistry()
    for cls in classes:
        registry.register(cls, source=f"entry point {cls.key}")
    return registry


def test_a_plugin_connector_ships_its_mapping():
    mappers = MapperRegistry()
    register_mappers(mappers, _connectors(WidgetERP))
    assert mappers[("widget", "customer")] is WIDGET
    assert "connector widget (entry point widget)" in mappers.source(("widget", "customer"))
    assert WIDGET.to_canonical({"title": "W", "no": 4}) == {"name": "W", "number": 4}


def test_builtin_mappings_come_from_their_connectors():
    registry = load_mappers()
    assert registry.frozen and len(registry) == 24
    assert {m.system for m in registry} == {"salesforce", "certinia", "kantata", "netsuite", "dynamics"}
    assert "builtin connectors.erp.netsuite.connector" in registry.source(("netsuite", "invoice"))


def test_bad_mappings_are_refused_naming_the_connector():
    elsewhere = Mapper("acme", "customer", "X", FieldTable())
    other = type("Other", (WidgetERP,), {"canonical_mappings": (elsewhere,)})
    assert check_connector(other()) == ["canonical mapping of 'customer' names system 'acme', not 'widget'"]
    unknown = type(
        "Unknown", (WidgetERP,), {"canonical_mappings": (Mapper("widget", "gadget", "X", FieldTable()),)}
    )
    with pytest.raises(ConnectorLoadError, match=r"'gadget'.*connector widget") as info:
        register_mappers(MapperRegistry(), _connectors(unknown))
    assert "must be one of" in info.value.message


def test_converters_keep_unknown_unknown():
    assert negate(None) is None and negate(False) is True
    assert num("") is None and num("x") is None and num("2.5") == 2.5
    assert text(0) == "0" and text("") is None
