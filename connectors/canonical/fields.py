"""Field tables: one declaration per canonical mapping, read in both directions.

A mapping between a system's record and a canonical entity is mostly pairs of fields, a few converted
(cents <-> amounts, minutes <-> hours, ``{"id": ...}`` references <-> ids). Written as a ``to`` and a
``from`` function every pair appears twice, and the two copies drift. A :class:`FieldTable` lists each
pair once and derives both directions::

    ACCOUNT = FieldTable(
        Field("name", "Name"),                                  # both directions, value unchanged
        Field("number", "AccountNumber", read=text),            # converted when read
        Field("budget_amount", "price_in_cents", read=cents, write=to_cents),
        Field("parent_id", "ParentId", write=None),             # read only
        Field("address.city", "BillingCity"),                   # dots: nested canonical objects
        Computed("name", full_name),                            # read only, from the whole record
        Composed("pse__End_Date__c", week_end),                 # written only, from the whole entity
    )

``to_canonical(record)`` evaluates the entries that read, in order; ``from_canonical(entity)`` the ones
that write. Converters always receive the value (None when absent); a result of None is left out, so a
write never blanks a field the canonical record left unset, and nested objects that end up empty are not
created. Canonical paths may contain dots; system field names are used as they are (``@odata.etag``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]
Convert = Callable[[Any], Any]


def same(value: Any) -> Any:
    """The identity converter (the default in both directions)."""
    return value


@dataclass(frozen=True)
class Field:
    """A canonical field and a system field that hold the same value. ``read`` converts the system value
    to the canonical one, ``write`` the other way; None for either leaves that direction out."""

    canonical: str
    system: str
    read: Convert | None = same
    write: Convert | None = same


@dataclass(frozen=True)
class Computed:
    """A canonical field derived from the whole system record (several fields, fallbacks); read only."""

    canonical: str
    read: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Composed:
    """A system field derived from the whole canonical entity; written only."""

    system: str
    write: Callable[[Mapping[str, Any]], Any]


Entry = Field | Computed | Composed
_Step = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], Any]]


class FieldTable:
    """Entries evaluated in order; see the module docstring."""

    def __init__(self, *entries: Entry) -> None:
        self.entries = entries
        reads: list[_Step] = []
        writes: list[_Step] = []
        for entry in entries:
            if isinstance(entry, Field):
                if entry.read is not None:
                    reads.append((_path(entry.canonical), _reader(entry.system, entry.read)))
                if entry.write is not None:
                    writes.append(((entry.system,), _writer(entry.canonical, entry.write)))
            elif isinstance(entry, Computed):
                reads.append((_path(entry.canonical), entry.read))
            elif isinstance(entry, Composed):
                writes.append(((entry.system,), entry.write))
            else:
                raise TypeError(f"{entry!r} is not a Field, Computed or Composed entry")
        self._reads = tuple(reads)
        self._writes = tuple(writes)

    def to_canonical(self, record: Mapping[str, Any]) -> Record:
        """A system record -> the canonical entity (fields that come out None are left out)."""
        return _evaluate(self._reads, record)

    def from_canonical(self, canonical: Mapping[str, Any]) -> Record:
        """A canonical entity -> the system's fields (fields that come out None are left out)."""
        return _evaluate(self._writes, canonical)

    def two_way(self) -> tuple[Field, ...]:
        """The fields mapped in both directions: ``read(write(value))`` must give ``value`` back."""
        return tuple(
            e for e in self.entries if isinstance(e, Field) and e.read is not None and e.write is not None
        )

    def __repr__(self) -> str:
        return f"<FieldTable {len(self._reads)} read, {len(self._writes)} written>"


@dataclass(frozen=True)
class Mapper:
    """One canonical mapping a connector declares (``Connector.canonical_mappings``): its system's
    ``source`` record type (e.g. "Account", "salesInvoices") <-> the canonical ``entity``."""

    system: str  # the connector's key
    entity: str  # one of connectors.canonical.ENTITIES
    source: str
    table: FieldTable

    def to_canonical(self, record: Mapping[str, Any]) -> Record:
        return self.table.to_canonical(record)

    def from_canonical(self, canonical: Mapping[str, Any]) -> Record:
        return self.table.from_canonical(canonical)

    def describe(self) -> dict[str, str]:
        return {"system": self.system, "entity": self.entity, "source": self.source}


def _path(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


# The step functions below are built once per table; the identity and flat-path cases skip work
# because a mapping runs per item of every canonical node.


def _reader(name: str, convert: Convert) -> Callable[[Mapping[str, Any]], Any]:
    if convert is same:
        return lambda record: record.get(name)
    return lambda record: convert(record.get(name))


def _writer(dotted: str, convert: Convert) -> Callable[[Mapping[str, Any]], Any]:
    path = _path(dotted)
    if len(path) == 1:
        return _reader(dotted, convert)
    return lambda canonical: convert(_get(canonical, path))


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for part in path:
        value = (value or {}).get(part)  # an unset parent reads as empty
    return value


def _evaluate(steps: tuple[_Step, ...], source: Mapping[str, Any]) -> Record:
    out: Record = {}
    for path, produce in steps:
        value = produce(source)
        if value is None:
            continue
        if len(path) == 1:
            out[path[0]] = value
            continue
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return out
