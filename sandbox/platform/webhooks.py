"""Outbound webhooks on record changes, per tenant, delivered best-effort from one background thread.

Every delivery (and its answer: status and the first bytes of the body, or the error) is kept in a
bounded log that the webhooks page and `GET /_admin/webhooks/deliveries` show.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import tenancy
from .store import Store

log = logging.getLogger("sandbox.webhooks")
LOG_SIZE = 200
ANSWER_BYTES = 500


class WebhookError(ValueError):
    pass


class Webhooks:
    def __init__(self, store: Store, timeout: float = 2.0) -> None:
        self.store = store
        self.timeout = timeout
        self.delivered = 0
        self.failed = 0
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._log_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=10000)
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def register(
        self, system: str, obj: str, url: str, tenant: str = tenancy.DEFAULT_TENANT
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WebhookError("url must be an absolute http(s) URL")
        hook_id = self.store.for_tenant(tenant).add_webhook(system, obj or "*", url)
        return {"id": hook_id, "tenant": tenant, "system": system, "object": obj or "*", "url": url}

    def emit(self, system: str, obj: str, event: str, record: dict[str, Any]) -> None:
        """Queue one POST per matching registration of the current tenant; never blocks the API request."""
        tenant = tenancy.current()
        for hook in self.store.for_tenant(tenant).webhooks():
            if hook["system"] == system and hook["object"] in ("*", obj):
                payload = {
                    "tenant": tenant,
                    "system": system,
                    "object": obj,
                    "event": event,
                    "record": record,
                }
                try:
                    self._queue.put_nowait((hook["url"], payload))
                except queue.Full:
                    self.failed += 1

    def deliveries(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """The delivery log, newest first."""
        with self._log_lock:
            items = list(self._log)
        return [d for d in reversed(items) if tenant in (None, d["tenant"])]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            url, payload = item
            self._deliver(url, payload)

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        record = payload.get("record") or {}
        entry: dict[str, Any] = {
            "id": next(self._ids),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tenant": payload["tenant"],
            "system": payload["system"],
            "object": payload["object"],
            "event": payload["event"],
            "record_id": str(record.get("Id") or record.get("id") or ""),
            "url": url,
            "status": None,
            "answer": "",
            "error": "",
            "ms": 0,
        }
        body = json.dumps(payload, default=str).encode()
        request = urllib.request.Request(  # noqa: S310 (register() allows http/https only)
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 (scheme checked)
                entry["status"] = resp.status
                entry["answer"] = resp.read(ANSWER_BYTES).decode("utf-8", "replace")
            self.delivered += 1
        except urllib.error.HTTPError as exc:
            entry["status"] = exc.code
            entry["answer"] = exc.read(ANSWER_BYTES).decode("utf-8", "replace")
            entry["error"] = f"HTTP {exc.code}"
            self.failed += 1
        except (urllib.error.URLError, OSError, ValueError) as exc:
            entry["error"] = str(getattr(exc, "reason", exc))
            self.failed += 1
            log.info("webhook to %s failed: %s", url, exc)
        entry["ms"] = round((time.monotonic() - started) * 1000)
        with self._log_lock:
            self._log.append(entry)
