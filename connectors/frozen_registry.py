"""The one registry type: keyed entries filled once at start-up, then frozen (read-only).

Node types, connectors and canonical mappings are each a :class:`Registry`, so all three load the same
way (like NetBox's registry): built-ins from an explicit tuple of dotted paths (no folder scanning), then,
where a registry takes plugins, the distributions advertising an entry point group; then :meth:`freeze`.
After that a registration raises :class:`RegistryFrozenError`, so no code path can change what exists
while runs execute. A bad entry (invalid declaration, duplicate key, plugin that fails to import) stops
start-up with a message naming where it came from: failing loudly beats a palette silently missing
something flows use.

It lives in the connector SDK because ``connectors`` must not import ``flowbuilder`` while flowbuilder
may import ``connectors``; ``flowbuilder.core.registry`` re-exports it (ADR 0004). It imports nothing
of ours, so importing it costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RegistryError(Exception):
    """An entry was refused: invalid, a duplicate key, or a plugin that could not be loaded."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class RegistryFrozenError(RuntimeError):
    """A registration was attempted after the registry was frozen (a programming error)."""


def _same_object(a: object, b: object) -> bool:
    return a is b


def _no_problems(entry: object) -> Iterable[str]:
    return ()


class Registry(Generic[K, V]):
    """Entries of one kind by key. Iterating yields the entries (in ``order``, default: registration).

    ``kind`` names the entries in messages ("connector", "node type"). ``key`` gives an entry's key;
    ``coerce`` turns what a built-in path or plugin names into an entry (e.g. a class into an instance);
    ``check`` lists what is wrong with an entry (empty: fine); ``same`` tells a harmless repeat of an
    entry (kept) from a second entry claiming its key (refused); ``error`` (called with a message and
    a ``hint``) is raised for refused entries, so each family keeps the error its callers catch.
    """

    def __init__(
        self,
        kind: str,
        *,
        key: Callable[[V], K],
        coerce: Callable[[Any], V] | None = None,
        check: Callable[[V], Iterable[str]] = _no_problems,
        same: Callable[[V, V], bool] = _same_object,
        order: Callable[[V], Any] | None = None,
        error: Callable[..., Exception] = RegistryError,
    ) -> None:
        self.kind = kind
        self._key = key
        self._coerce = coerce
        self._check = check
        self._same = same
        self._order = order
        self._error = error
        self._entries: dict[K, V] = {}
        self._sources: dict[K, str] = {}
        self._frozen = False
        self._lock = threading.RLock()

    # -- filling

    def register(self, obj: Any, *, source: str = "") -> V:
        """Add one entry; refuses invalid entries, a second entry for a key, and anything after freeze."""
        entry: V = self._coerce(obj) if self._coerce is not None else obj
        where = source or "direct"
        problems = list(self._check(entry))
        if problems:
            raise self._refuse(
                f"{self.kind.capitalize()} {self._name(entry)} ({where}) is invalid: " + "; ".join(problems),
                hint=f"Fix the {self.kind} declaration.",
            )
        key = self._key(entry)
        with self._lock:
            if self._frozen:
                raise RegistryFrozenError(f"The {self.kind} registry is frozen; cannot register {key!r}.")
            existing = self._entries.get(key)
            if existing is not None and not self._same(existing, entry):
                raise self._refuse(
                    f"{self.kind.capitalize()} key {key!r} from {where} is already registered by "
                    f"{self._sources.get(key) or 'direct'}.",
                    hint=f"{self.kind.capitalize()} keys must be unique; uninstall one of the packages.",
                )
            self._entries[key] = entry
            self._sources[key] = source
        return entry

    def load_builtins(self, paths: Iterable[str]) -> None:
        """Register each ``"package.module:attribute"`` (a tuple or list there registers each item)."""
        for path in paths:
            for obj in _as_list(self._import(path)):
                self.register(obj, source=f"builtin {path}")

    def load_entry_points(self, group: str) -> list[str]:
        """Register what installed distributions advertise in ``group``; return the entry point names."""
        names: list[str] = []
        # Looked up through the module so tests can monkeypatch importlib.metadata.entry_points.
        for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            dist = getattr(getattr(ep, "dist", None), "name", None) or "?"
            source = f"entry point {ep.name} = {ep.value} ({dist})"
            try:
                loaded = ep.load()
            except Exception as exc:  # any import-time failure of a plugin is reported the same way
                raise self._refuse(
                    f"Could not load {source}: {type(exc).__name__}: {exc}",
                    hint="Fix or uninstall the package providing it.",
                ) from exc
            for obj in _as_list(loaded):
                self.register(obj, source=source)
            names.append(ep.name)
        return names

    def freeze(self) -> None:
        with self._lock:
            self._frozen = True

    def fill_once(self, fill: Callable[[Registry[K, V]], object]) -> Registry[K, V]:
        """Run ``fill(self)`` and freeze, unless already frozen; safe to call from many threads."""
        with self._lock:
            if not self._frozen:
                fill(self)
                self.freeze()
        return self

    # -- reading

    @property
    def frozen(self) -> bool:
        return self._frozen

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def source(self, key: K) -> str:
        """Where the entry came from ("builtin <path>", "entry point <name> = <value> (<dist>)", "")."""
        return self._sources.get(key, "")

    def as_mapping(self) -> Mapping[K, V]:
        """A read-only live view: key -> entry."""
        return MappingProxyType(self._entries)

    def __getitem__(self, key: K) -> V:
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[V]:
        entries = list(self._entries.values())
        return iter(entries if self._order is None else sorted(entries, key=self._order))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        state = "frozen" if self._frozen else "open"
        return f"<Registry of {len(self)} {self.kind} entries, {state}>"

    # -- helpers

    def _name(self, entry: V) -> str:
        try:
            return repr(self._key(entry))
        except Exception:  # an entry too broken to have a key is still named in the message
            return repr(entry)

    def _refuse(self, message: str, *, hint: str) -> Exception:
        return self._error(message, hint=hint)

    def _import(self, path: str) -> Any:
        module_name, _, attr = path.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise self._refuse(
                f"Built-in {self.kind} {path} could not be imported: {exc}", hint="Fix the dotted path."
            ) from exc


def _as_list(obj: Any) -> list[Any]:
    return list(obj) if isinstance(obj, list | tuple) else [obj]
