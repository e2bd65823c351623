"""Tenants: one customer's own org, account or company in every emulated system.

A tenant owns its records (its own namespace in the store), its OAuth clients and tokens, webhooks and
faults. Each system identifies a tenant the way the real one does (the org behind a Salesforce token, the
NetSuite account id in the path, the Entra tenant id in a Business Central URL, the Kantata account
behind a token); the system's AuthProfile maps that identifier to the tenant's name.

The request being served runs with its tenant bound (`bound()`): `System.store` reads it, so the
systems' code stays tenant-agnostic. The default tenant holds the data the sandbox always had (the
configured seed, byte-identical); every other tenant is seeded from its own seed, derived from its name,
the first time anything touches it.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from .store import DEFAULT_TENANT, Store

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

_current: ContextVar[str] = ContextVar("sandbox_tenant", default=DEFAULT_TENANT)


def current() -> str:
    """The tenant of the request being served (the default tenant outside a request)."""
    return _current.get()


@contextmanager
def bound(name: str) -> Iterator[None]:
    token = _current.set(name)
    try:
        yield
    finally:
        _current.reset(token)


class TenantError(ValueError):
    pass


@dataclass(frozen=True)
class Tenant:
    name: str  # slug: URLs, client ids, store namespace
    title: str  # shown on the sandbox pages
    seed: int

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_TENANT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def derived_seed(base: int, name: str) -> int:
    """A tenant's seed: reproducible from the configured seed and its name, different per tenant."""
    return base if name == DEFAULT_TENANT else (base + zlib.crc32(name.encode())) % 2**31


def default_title(name: str) -> str:
    return "Default tenant" if name == DEFAULT_TENANT else name.replace("-", " ").title()


Seeder = Callable[[Store, int], Any]


class Tenants:
    """The tenant registry (the store's tenants table) and lazy, once-only seeding."""

    def __init__(self, store: Store, base_seed: int, seeder: Seeder) -> None:
        self.store = store
        self.base_seed = base_seed
        self.seeder = seeder  # (tenant's store view, seed) -> counts
        self._lock = threading.RLock()
        self._tenants: dict[str, Tenant] = {}
        self._seeded: set[str] = set()
        for name, seeded, data in store.tenant_rows():
            self._tenants[name] = Tenant(name, data.get("title") or default_title(name), int(data["seed"]))
            if seeded:
                self._seeded.add(name)

    def all(self) -> list[Tenant]:
        with self._lock:
            return list(self._tenants.values())

    def get(self, name: str) -> Tenant | None:
        with self._lock:
            return self._tenants.get(name)

    def add(self, name: str, title: str | None = None, seed: int | None = None) -> Tenant:
        """Declare a tenant (idempotent for the same name); its records are seeded on first use."""
        if not NAME_RE.match(name or ""):
            raise TenantError(
                "tenant name must be lower-case letters, digits and '-', starting with a letter"
            )
        with self._lock:
            existing = self._tenants.get(name)
            if existing is not None:
                return existing
            tenant = Tenant(
                name,
                title or default_title(name),
                derived_seed(self.base_seed, name) if seed is None else seed,
            )
            self._tenants[name] = tenant
            self.store.save_tenant(name, {"title": tenant.title, "seed": tenant.seed}, seeded=False)
            return tenant

    def is_seeded(self, name: str) -> bool:
        with self._lock:
            return name in self._seeded

    def ensure_seeded(self, name: str) -> None:
        """Seed the tenant's records the first time anything reads or writes them (about 0.6 s)."""
        if name in self._seeded:
            return
        with self._lock:
            if name not in self._seeded:
                self.reseed(name)

    def reseed(self, name: str) -> dict[str, dict[str, int]]:
        tenant = self.get(name)
        if tenant is None:
            raise TenantError(f"unknown tenant {name!r}")
        view = self.store.for_tenant(name)
        with self._lock, view.lock:
            view.clear_records()
            counts = self.seeder(view, tenant.seed)
            self.store.save_tenant(name, {"title": tenant.title, "seed": tenant.seed}, seeded=True)
            self._seeded.add(name)
        return counts

    def forget_records(self, name: str) -> None:
        """Drop a tenant's records; they are seeded again the next time the tenant is used."""
        tenant = self.get(name)
        if tenant is None:
            return
        view = self.store.for_tenant(name)
        with self._lock, view.lock:
            view.clear_records()
            self.store.save_tenant(name, {"title": tenant.title, "seed": tenant.seed}, seeded=False)
            self._seeded.discard(name)
