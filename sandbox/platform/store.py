"""SQLite store of JSON records, one logical table per (system, object), plus counters, tokens and hooks.

SQLite is the source of truth (state survives restarts). A write-through in-memory copy of each object's
records keeps list endpoints and query languages fast; it is rebuilt from SQLite on start.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    system TEXT NOT NULL, object TEXT NOT NULL, id TEXT NOT NULL,
    rev INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (system, object, id)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, system TEXT NOT NULL, kind TEXT NOT NULL,
    expires_at REAL NOT NULL, subject TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, system TEXT NOT NULL, object TEXT NOT NULL, url TEXT NOT NULL
);
"""

Record = dict[str, Any]


class Store:
    """Thread-safe: one connection guarded by a lock (the sandbox is small; simplicity beats throughput)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / "sandbox.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._cache: dict[tuple[str, str], dict[str, Record]] = {}
        self._rev = self._db.execute("SELECT COALESCE(MAX(rev), 0) FROM records").fetchone()[0]
        self._load()

    def _load(self) -> None:
        self._cache.clear()
        rows = self._db.execute("SELECT system, object, id, data FROM records ORDER BY rev")
        for system, obj, rid, data in rows:
            self._cache.setdefault((system, obj), {})[rid] = json.loads(data)

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # -- records ----------------------------------------------------------------------------------
    def all(self, system: str, obj: str) -> list[Record]:
        """Records in write order (oldest first). Treat them as read-only; use get() to modify."""
        with self.lock:
            return list(self._cache.get((system, obj), {}).values())

    def get(self, system: str, obj: str, rid: str) -> Record | None:
        with self.lock:
            record = self._cache.get((system, obj), {}).get(rid)
            return json.loads(json.dumps(record)) if record is not None else None

    def peek(self, system: str, obj: str, rid: str) -> Record | None:
        """The cached record itself (no copy): for read paths such as query joins. Do not mutate."""
        with self.lock:
            return self._cache.get((system, obj), {}).get(rid)

    def count(self, system: str, obj: str) -> int:
        with self.lock:
            return len(self._cache.get((system, obj), {}))

    def objects(self, system: str) -> list[str]:
        with self.lock:
            return sorted(o for s, o in self._cache if s == system)

    def put(self, system: str, obj: str, rid: str, record: Record) -> None:
        """Insert or replace; moves the record to the newest position (browse shows newest first)."""
        with self.lock:
            self._rev += 1
            self._db.execute(
                "INSERT OR REPLACE INTO records (system, object, id, rev, data) VALUES (?, ?, ?, ?, ?)",
                (system, obj, rid, self._rev, json.dumps(record)),
            )
            bucket = self._cache.setdefault((system, obj), {})
            bucket.pop(rid, None)
            bucket[rid] = json.loads(json.dumps(record))

    def put_many(self, system: str, obj: str, records: Iterable[tuple[str, Record]]) -> None:
        """Bulk insert in one transaction (seeding thousands of rows stays well under a second)."""
        with self.lock:
            bucket = self._cache.setdefault((system, obj), {})
            rows = []
            for rid, record in records:
                self._rev += 1
                rows.append((system, obj, rid, self._rev, json.dumps(record)))
                bucket[rid] = record
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO records (system, object, id, rev, data) VALUES (?, ?, ?, ?, ?)", rows
            )
            self._db.execute("COMMIT")

    def delete(self, system: str, obj: str, rid: str) -> bool:
        with self.lock:
            removed = self._cache.get((system, obj), {}).pop(rid, None)
            self._db.execute(
                "DELETE FROM records WHERE system = ? AND object = ? AND id = ?", (system, obj, rid)
            )
            return removed is not None

    def newest(self, system: str, obj: str, limit: int) -> list[Record]:
        with self.lock:
            values = list(self._cache.get((system, obj), {}).values())
        return list(reversed(values[-limit:]))

    def clear_records(self) -> None:
        with self.lock:
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM counters")
            self._cache.clear()

    def is_empty(self) -> bool:
        with self.lock:
            return not any(self._cache.values())

    # -- counters (ids, document numbers) ---------------------------------------------------------
    def next_value(self, name: str, start: int = 1) -> int:
        with self.lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] + 1) if row else start
            self._db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))
            return value

    def set_counter(self, name: str, value: int) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))

    # -- tokens -----------------------------------------------------------------------------------
    def save_token(self, token: str, system: str, kind: str, expires_at: float, subject: str) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)",
                (token, system, kind, expires_at, subject),
            )

    def load_token(self, token: str) -> tuple[str, str, float, str] | None:
        with self.lock:
            row = self._db.execute(
                "SELECT system, kind, expires_at, subject FROM tokens WHERE token = ?", (token,)
            ).fetchone()
            return tuple(row) if row else None  # type: ignore[return-value]

    def expire_tokens(self, system: str | None) -> int:
        with self.lock:
            if system:
                cur = self._db.execute(
                    "UPDATE tokens SET expires_at = 0 WHERE kind = 'access' AND system = ?", (system,)
                )
            else:
                cur = self._db.execute("UPDATE tokens SET expires_at = 0 WHERE kind = 'access'")
            return cur.rowcount

    def purge_tokens(self, before: float) -> None:
        with self.lock:
            self._db.execute("DELETE FROM tokens WHERE kind = 'access' AND expires_at < ?", (before,))

    # -- webhooks ---------------------------------------------------------------------------------
    def add_webhook(self, system: str, obj: str, url: str) -> int:
        with self.lock:
            cur = self._db.execute(
                "INSERT INTO webhooks (system, object, url) VALUES (?, ?, ?)", (system, obj, url)
            )
            return int(cur.lastrowid or 0)

    def webhooks(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._db.execute("SELECT id, system, object, url FROM webhooks ORDER BY id").fetchall()
        return [{"id": r[0], "system": r[1], "object": r[2], "url": r[3]} for r in rows]

    def delete_webhooks(self, hook_id: int | None = None) -> int:
        with self.lock:
            if hook_id is None:
                return self._db.execute("DELETE FROM webhooks").rowcount
            return self._db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,)).rowcount
