"""SQLite store of JSON records, one logical table per (tenant, system, object), plus counters, tenants,
OAuth clients, tokens and webhook registrations.

SQLite is the source of truth (state survives restarts). A write-through in-memory copy of each object's
records keeps list endpoints and query languages fast; it is rebuilt from SQLite on start.

A `Store` is one tenant's view of the database: `Store(data_dir)` opens the database and gives the default
tenant's view (the single-tenant API the seeds and tests use); `store.for_tenant(name)` gives another
tenant's view over the same connection, cache and lock. Records, counters and webhooks are per tenant;
tenants, clients and tokens are global tables whose rows name their tenant.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_TENANT = "default"
SCHEMA_VERSION = 2  # bump when a table changes: an older data dir is dropped and reseeded (it is a sandbox)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    tenant TEXT NOT NULL, system TEXT NOT NULL, object TEXT NOT NULL, id TEXT NOT NULL,
    rev INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (tenant, system, object, id)
);
CREATE TABLE IF NOT EXISTS counters (
    tenant TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (tenant, name)
);
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, seeded INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    system TEXT NOT NULL, client_id TEXT NOT NULL, tenant TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (system, client_id)
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, tenant TEXT NOT NULL, system TEXT NOT NULL, kind TEXT NOT NULL,
    client_id TEXT NOT NULL, expires_at REAL NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_system ON tokens (system, tenant, kind);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, system TEXT NOT NULL, object TEXT NOT NULL,
    url TEXT NOT NULL
);
"""
_TABLES = ("records", "counters", "tenants", "clients", "tokens", "webhooks")

Record = dict[str, Any]
_INSERT_RECORD = (
    "INSERT OR REPLACE INTO records (tenant, system, object, id, rev, data) VALUES (?, ?, ?, ?, ?, ?)"
)
NEVER = 253402300799.0  # 9999-12-31T23:59:59Z: tokens that do not expire (Kantata, NetSuite TBA)


class _Database:
    """One connection guarded by a lock (the sandbox is small; simplicity beats throughput)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / "sandbox.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            for table in (*_TABLES, "records_v1"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.executescript(_SCHEMA)
        self.cache: dict[tuple[str, str, str], dict[str, Record]] = {}
        self.rev = self.db.execute("SELECT COALESCE(MAX(rev), 0) FROM records").fetchone()[0]
        self.views: dict[str, Store] = {}
        rows = self.db.execute("SELECT tenant, system, object, id, data FROM records ORDER BY rev")
        for tenant, system, obj, rid, data in rows:
            self.cache.setdefault((tenant, system, obj), {})[rid] = json.loads(data)


class Store:
    """One tenant's records and counters; the global tables (tenants, clients, tokens) from any view."""

    def __init__(self, data_dir: str | Path | None = None, *, tenant: str = DEFAULT_TENANT, _db: Any = None):
        self._d: _Database = _db if _db is not None else _Database(data_dir or ".")
        self.tenant = tenant
        self._d.views.setdefault(tenant, self)

    @property
    def path(self) -> Path:
        return self._d.path

    @property
    def lock(self) -> threading.RLock:
        return self._d.lock

    def for_tenant(self, tenant: str) -> Store:
        """The same database seen as ``tenant`` (views are cached: cheap to ask for on every request)."""
        view = self._d.views.get(tenant)
        return view if view is not None else Store(tenant=tenant, _db=self._d)

    def close(self) -> None:
        with self.lock:
            self._d.db.close()

    # -- records ----------------------------------------------------------------------------------
    def _bucket(self, system: str, obj: str) -> dict[str, Record]:
        return self._d.cache.get((self.tenant, system, obj), {})

    def all(self, system: str, obj: str) -> list[Record]:
        """Records in write order (oldest first). Treat them as read-only; use get() to modify."""
        with self.lock:
            return list(self._bucket(system, obj).values())

    def get(self, system: str, obj: str, rid: str) -> Record | None:
        with self.lock:
            record = self._bucket(system, obj).get(rid)
            return json.loads(json.dumps(record)) if record is not None else None

    def peek(self, system: str, obj: str, rid: str) -> Record | None:
        """The cached record itself (no copy): for read paths such as query joins. Do not mutate."""
        with self.lock:
            return self._bucket(system, obj).get(rid)

    def count(self, system: str, obj: str) -> int:
        with self.lock:
            return len(self._bucket(system, obj))

    def objects(self, system: str) -> list[str]:
        with self.lock:
            return sorted(o for t, s, o in self._d.cache if t == self.tenant and s == system)

    def put(self, system: str, obj: str, rid: str, record: Record) -> None:
        """Insert or replace; moves the record to the newest position (browse shows newest first)."""
        with self.lock:
            self._d.rev += 1
            self._d.db.execute(
                _INSERT_RECORD,
                (self.tenant, system, obj, rid, self._d.rev, json.dumps(record)),
            )
            bucket = self._d.cache.setdefault((self.tenant, system, obj), {})
            bucket.pop(rid, None)
            bucket[rid] = json.loads(json.dumps(record))

    def put_many(self, system: str, obj: str, records: Iterable[tuple[str, Record]]) -> None:
        """Bulk insert in one transaction (seeding thousands of rows stays well under a second)."""
        with self.lock:
            bucket = self._d.cache.setdefault((self.tenant, system, obj), {})
            rows = []
            for rid, record in records:
                self._d.rev += 1
                rows.append((self.tenant, system, obj, rid, self._d.rev, json.dumps(record)))
                bucket[rid] = record
            self._d.db.execute("BEGIN")
            self._d.db.executemany(
                _INSERT_RECORD,
                rows,
            )
            self._d.db.execute("COMMIT")

    def delete(self, system: str, obj: str, rid: str) -> bool:
        with self.lock:
            removed = self._bucket(system, obj).pop(rid, None)
            self._d.db.execute(
                "DELETE FROM records WHERE tenant = ? AND system = ? AND object = ? AND id = ?",
                (self.tenant, system, obj, rid),
            )
            return removed is not None

    def newest(self, system: str, obj: str, limit: int) -> list[Record]:
        with self.lock:
            values = list(self._bucket(system, obj).values())
        return list(reversed(values[-limit:]))

    def clear_records(self) -> None:
        """Drop this tenant's records and counters."""
        with self.lock:
            self._d.db.execute("DELETE FROM records WHERE tenant = ?", (self.tenant,))
            self._d.db.execute("DELETE FROM counters WHERE tenant = ?", (self.tenant,))
            for key in [k for k in self._d.cache if k[0] == self.tenant]:
                del self._d.cache[key]

    def is_empty(self) -> bool:
        with self.lock:
            return not any(v for k, v in self._d.cache.items() if k[0] == self.tenant)

    # -- counters (ids, document numbers) ---------------------------------------------------------
    def next_value(self, name: str, start: int = 1) -> int:
        with self.lock:
            row = self._d.db.execute(
                "SELECT value FROM counters WHERE tenant = ? AND name = ?", (self.tenant, name)
            ).fetchone()
            value = (row[0] + 1) if row else start
            self.set_counter(name, value)
            return value

    def set_counter(self, name: str, value: int) -> None:
        with self.lock:
            self._d.db.execute(
                "INSERT OR REPLACE INTO counters (tenant, name, value) VALUES (?, ?, ?)",
                (self.tenant, name, value),
            )

    # -- tenants (global) -------------------------------------------------------------------------
    def tenant_rows(self) -> list[tuple[str, bool, dict[str, Any]]]:
        with self.lock:
            rows = self._d.db.execute("SELECT name, seeded, data FROM tenants ORDER BY rowid").fetchall()
        return [(name, bool(seeded), json.loads(data)) for name, seeded, data in rows]

    def save_tenant(self, name: str, data: dict[str, Any], *, seeded: bool) -> None:
        with self.lock:
            self._d.db.execute(
                "INSERT OR REPLACE INTO tenants (name, seeded, data) VALUES (?, ?, ?)",
                (name, int(seeded), json.dumps(data)),
            )

    # -- OAuth clients (global) -------------------------------------------------------------------
    def save_client(self, system: str, client_id: str, tenant: str, data: dict[str, Any]) -> None:
        with self.lock:
            self._d.db.execute(
                "INSERT OR REPLACE INTO clients (system, client_id, tenant, data) VALUES (?, ?, ?, ?)",
                (system, client_id, tenant, json.dumps(data)),
            )

    def load_client(self, system: str, client_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._d.db.execute(
                "SELECT data FROM clients WHERE system = ? AND client_id = ?", (system, client_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def client_rows(self, system: str | None = None, tenant: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT data FROM clients WHERE 1 = 1", []
        if system:
            sql, args = sql + " AND system = ?", [*args, system]
        if tenant:
            sql, args = sql + " AND tenant = ?", [*args, tenant]
        with self.lock:
            rows = self._d.db.execute(sql + " ORDER BY rowid", args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def delete_client(self, system: str, client_id: str) -> bool:
        with self.lock:
            self._d.db.execute("DELETE FROM tokens WHERE system = ? AND client_id = ?", (system, client_id))
            cur = self._d.db.execute(
                "DELETE FROM clients WHERE system = ? AND client_id = ?", (system, client_id)
            )
            return cur.rowcount > 0

    # -- tokens, codes, refresh tokens (global) ---------------------------------------------------
    def save_token(
        self, token: str, *, tenant: str, system: str, kind: str, client_id: str, expires_at: float, data: Any
    ) -> None:
        with self.lock:
            self._d.db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token, tenant, system, kind, client_id, expires_at, json.dumps(data)),
            )

    def load_token(self, token: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._d.db.execute(
                "SELECT tenant, system, kind, client_id, expires_at, data FROM tokens WHERE token = ?",
                (token,),
            ).fetchone()
        if not row:
            return None
        tenant, system, kind, client_id, expires_at, data = row
        return {
            "token": token,
            "tenant": tenant,
            "system": system,
            "kind": kind,
            "client_id": client_id,
            "expires_at": expires_at,
            **json.loads(data),
        }

    def delete_tokens(self, tokens: Iterable[str]) -> None:
        with self.lock:
            self._d.db.executemany("DELETE FROM tokens WHERE token = ?", [(t,) for t in tokens])

    def expire_tokens(self, system: str | None, tenant: str | None = None) -> int:
        sql, args = "UPDATE tokens SET expires_at = 0 WHERE kind = 'access'", []
        if system:
            sql, args = sql + " AND system = ?", [*args, system]
        if tenant:
            sql, args = sql + " AND tenant = ?", [*args, tenant]
        with self.lock:
            return self._d.db.execute(sql, args).rowcount

    def purge_tokens(self, before: float) -> None:
        with self.lock:
            self._d.db.execute(
                "DELETE FROM tokens WHERE kind IN ('access', 'code') AND expires_at < ?", (before,)
            )

    # -- webhooks (per tenant) --------------------------------------------------------------------
    def add_webhook(self, system: str, obj: str, url: str) -> int:
        with self.lock:
            cur = self._d.db.execute(
                "INSERT INTO webhooks (tenant, system, object, url) VALUES (?, ?, ?, ?)",
                (self.tenant, system, obj, url),
            )
            return int(cur.lastrowid or 0)

    def webhooks(self, *, all_tenants: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT id, tenant, system, object, url FROM webhooks"
        args: list[Any] = []
        if not all_tenants:
            sql, args = sql + " WHERE tenant = ?", [self.tenant]
        with self.lock:
            rows = self._d.db.execute(sql + " ORDER BY id", args).fetchall()
        return [{"id": r[0], "tenant": r[1], "system": r[2], "object": r[3], "url": r[4]} for r in rows]

    def delete_webhooks(self, hook_id: int | None = None, *, all_tenants: bool = False) -> int:
        with self.lock:
            if hook_id is not None:
                return self._d.db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,)).rowcount
            if all_tenants:
                return self._d.db.execute("DELETE FROM webhooks").rowcount
            return self._d.db.execute("DELETE FROM webhooks WHERE tenant = ?", (self.tenant,)).rowcount
