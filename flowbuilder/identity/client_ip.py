"""The client's address behind the configured number of trusted reverse proxies.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so with N trusted
proxies the client is the Nth entry from the right (the outermost proxy wrote it); anything further left
was sent by the client itself and is never believed. With no proxies (the default) the address is the
socket's peer, ``REMOTE_ADDR``. Lockouts, request budgets and the audit trail all use this one answer.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.FLOWBUILDER_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        return remote  # fewer hops than proxies: the header was not written by them
    return _valid(hops[-proxies]) or remote
