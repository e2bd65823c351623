"""Outbound webhooks on record changes, delivered best-effort from one background thread."""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from .store import Store

log = logging.getLogger("sandbox.webhooks")


class WebhookError(ValueError):
    pass


class Webhooks:
    def __init__(self, store: Store, timeout: float = 2.0) -> None:
        self.store = store
        self.timeout = timeout
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=10000)
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def register(self, system: str, obj: str, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WebhookError("url must be an absolute http(s) URL")
        hook_id = self.store.add_webhook(system, obj or "*", url)
        return {"id": hook_id, "system": system, "object": obj or "*", "url": url}

    def emit(self, system: str, obj: str, event: str, record: dict[str, Any]) -> None:
        """Queue one POST per matching registration; never blocks the API request."""
        for hook in self.store.webhooks():
            if hook["system"] == system and hook["object"] in ("*", obj):
                payload = {"system": system, "object": obj, "event": event, "record": record}
                try:
                    self._queue.put_nowait((hook["url"], payload))
                except queue.Full:
                    self.failed += 1

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            url, payload = item
            body = json.dumps(payload, default=str).encode()
            request = urllib.request.Request(  # noqa: S310 (register() allows http/https only)
                url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 (scheme checked)
                    resp.read(1024)
                self.delivered += 1
            except (urllib.error.URLError, OSError, ValueError) as exc:
                self.failed += 1
                log.info("webhook to %s failed: %s", url, exc)
