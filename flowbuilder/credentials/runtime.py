"""Connections at run time: the opaque handle a worker hands to nodes.

``open_connection(organisation_id, connection_id)`` loads the connection *scoped to the organisation*
(another organisation's id is simply "not found"), decrypts its secrets in this process, and returns a
:class:`connectors.base.ConnectionRuntime` whose safe client carries the credentials (applied only to the
connection's own origin), the organisation's egress policy and the per-connection budget shared by all
workers through Redis.

Live runtimes are kept per process, keyed by connection and stamped with what they were built from
(``updated_at``, ``secrets_version``, the egress allow-list): the database stays the truth, checked with
one small query per open, while OAuth tokens, decrypted credentials and HTTP pools are reused across the
items, nodes and runs a worker executes. A rotated refresh token is persisted (encrypted) through
``on_token`` and bumps ``secrets_version`` so other workers pick it up.

Only ids cross process boundaries; nothing here returns, logs or raises with a secret value.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from connectors.base import ApiUsage, ConnectionRuntime, Connector
from connectors.base import open_connection as open_runtime
from connectors.errors import ConnectorError, ConnectorLoadError
from connectors.http.auth import TokenSet
from connectors.http.egress import EgressPolicy
from connectors.http.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from flowbuilder.core.errors import InvalidInputError, NodeError

from . import usage
from .models import Connection
from .vault import VaultError, get_vault

log = logging.getLogger(__name__)

REF_PREFIX = "conn_"
_USE_MEMO_SIZE = 4096


# --- egress policy and budgets -------------------------------------------------------------------------


def get_connector(key: str) -> Connector:
    from connectors.registry import get_connector as lookup

    try:
        return lookup(key)
    except ConnectorLoadError as exc:
        raise InvalidInputError(
            f"No connector {key!r} is installed.", field="connector", hint="Pick one from /api/connectors/."
        ) from exc


def allowlist_entries(organisation_allowlist: Iterable[str] | None) -> list[str]:
    return [*settings.FLOWBUILDER_EGRESS_ALLOWLIST, *(organisation_allowlist or [])]


def policy_from(entries: Iterable[str]) -> EgressPolicy:
    """Hosts, IP literals and networks (CIDR), each optionally with a port (``127.0.0.1:8100``); an entry
    without a port allows every port (connectors.http.egress.parse_allow_entry)."""
    return EgressPolicy.from_entries(entries)


def policy_for(organisation_id: int) -> EgressPolicy:
    """The organisation's egress policy: the platform allow-list plus its own."""
    from flowbuilder.tenancy.models import Organisation

    org_list = (
        Organisation.objects.filter(pk=organisation_id).values_list("egress_allowlist", flat=True).first()
    )
    return policy_from(allowlist_entries(org_list))


_limiter_lock = threading.Lock()
_limiter: tuple[int, str, RateLimiter] | None = None


def shared_rate_limiter() -> RateLimiter:
    """One limiter per process: Redis-backed (shared by every worker) unless the URL is empty."""
    global _limiter
    url = settings.FLOWBUILDER_RATE_LIMIT_URL
    current = _limiter
    if current is not None and current[0] == os.getpid() and current[1] == url:
        return current[2]
    with _limiter_lock:
        limiter: RateLimiter = RedisRateLimiter.from_url(url) if url else LocalRateLimiter()
        _limiter = (os.getpid(), url, limiter)
    return limiter


# --- building a runtime --------------------------------------------------------------------------------


def parse_connection_id(value: Any) -> int | None:
    """Flow documents name a connection ``"42"`` or ``"conn_42"``; anything else is not an id."""
    text = str(value or "").strip()
    if text.startswith(REF_PREFIX):
        text = text[len(REF_PREFIX) :]
    return int(text) if text.isdigit() and len(text) < 19 else None


def _token_saver(
    connection: Connection, secrets: dict[str, Any], connect_type: bool
) -> Callable[[TokenSet], None] | None:
    """Persist what the auth obtained (encrypted): a rotated refresh token, and for Connect types the
    access token and its expiry too, so other processes reuse it instead of refreshing again."""
    if "refresh_token" not in secrets and not connect_type:
        return None
    connection_id = connection.pk

    def on_token(token: TokenSet) -> None:
        new_refresh = token.refresh_token
        rotated = bool(new_refresh) and new_refresh != secrets.get("refresh_token")
        if not rotated and not connect_type:
            return
        if rotated:
            secrets["refresh_token"] = new_refresh
        if connect_type:
            secrets["access_token"] = token.access_token
            secrets["expires_at"] = token.expires_at
        expires = None
        if rotated and token.refresh_expires_at:
            expires = datetime.fromtimestamp(token.refresh_expires_at, tz=UTC)
        version = usage.store_tokens(connection_id, secrets, credential_expires_at=expires)
        _restamp(connection_id, version)

    return on_token


def _reconnect_marker(connection: Connection, secrets: dict[str, Any]) -> Callable[[str], str | None]:
    """When the auth says the grant lapsed: adopt a refresh token another process stored meanwhile, or
    put the connection into "reconnect"."""
    connection_id = connection.pk

    def on_reconnect(message: str) -> str | None:
        newer = usage.mark_reconnect(connection_id, message, secrets.get("refresh_token"))
        if newer:
            secrets["refresh_token"] = newer
        return newer

    return on_reconnect


_usage_lock = threading.Lock()
_usage_written: dict[int, float] = {}


def _usage_recorder(connection: Connection) -> Callable[[ApiUsage], None]:
    """Store the API usage responses report, at most once a minute per connection (checked in this
    process first, then by the database so all processes together write at most that often)."""
    connection_id = connection.pk

    def on_usage(reported: ApiUsage) -> None:
        every = float(settings.FLOWBUILDER_API_USAGE_WRITE_S)
        now = time.monotonic()
        with _usage_lock:
            last = _usage_written.get(connection_id)
            if last is not None and now - last < every:
                return
            _usage_written[connection_id] = now
        try:
            usage.record_api_usage(connection_id, reported.used, reported.limit, every_s=every)
        except Exception:  # noqa: BLE001 - usage is informative: never fail a request for it
            log.warning("connection %s: could not store API usage", connection_id, exc_info=True)

    return on_usage


def build_runtime(
    connection: Connection,
    secrets: Mapping[str, Any],
    *,
    policy: EgressPolicy | None = None,
    rate_limiter: RateLimiter | None = None,
    **client_options: Any,
) -> ConnectionRuntime:
    """A fresh runtime for ``connection`` with already-decrypted ``secrets``. Does no network I/O."""
    connector = get_connector(connection.connector)
    values = {**(connection.credentials or {}), **secrets}
    try:
        connect_type = connector.credential_type(connection.credential_type).authorization is not None
    except ConnectorError:
        connect_type = False
    live = dict(secrets)  # shared by the listeners: the refresh token this runtime currently holds
    return open_runtime(
        connector,
        connection_id=str(connection.pk),
        config=connection.runtime_config(),
        credential_type=connection.credential_type,
        secrets=values,
        policy=policy if policy is not None else policy_for(connection.organisation_id),
        rate_limiter=rate_limiter if rate_limiter is not None else shared_rate_limiter(),
        on_token=_token_saver(connection, live, connect_type),
        on_reconnect=_reconnect_marker(connection, live),
        on_usage=_usage_recorder(connection),
        **client_options,
    )


# --- the per-process cache -----------------------------------------------------------------------------


@dataclass
class _Entry:
    stamp: tuple[Any, ...]
    runtime: ConnectionRuntime


_lock = threading.Lock()
_cache: OrderedDict[int, _Entry] = OrderedDict()
_uses: OrderedDict[tuple[int, int], None] = OrderedDict()


def _restamp(connection_id: int, version: int) -> None:
    with _lock:
        entry = _cache.get(connection_id)
        if entry is not None:
            entry.stamp = (entry.stamp[0], version, *entry.stamp[2:])


def clear_cache() -> None:
    """Forget every live runtime of this process (tests; after key rotation)."""
    with _lock:
        _cache.clear()
        _uses.clear()
    with _usage_lock:
        _usage_written.clear()


def _not_found(connection_id: Any) -> NodeError:
    shown = str(connection_id)[:64]
    return NodeError(
        f"Connection {shown!r} not found.",
        hint="Pick an existing connection of this organisation for this step.",
        field="connection",
    )


def open_connection(
    organisation_id: int, connection_id: Any, *, run_id: int | None = None
) -> ConnectionRuntime:
    """The runtime handle for a connection of ``organisation_id``; NodeError "not found" otherwise.

    With ``run_id`` the first use per run writes one "connection.use" audit row.
    """
    pk = parse_connection_id(connection_id)
    row = None
    if pk is not None:
        row = (
            Connection.objects.filter(pk=pk, organisation_id=organisation_id)
            .select_related("organisation")
            .first()
        )
    if row is None:
        raise _not_found(connection_id)
    entries = allowlist_entries(row.organisation.egress_allowlist)
    stamp = (row.updated_at, row.secrets_version, tuple(entries))
    with _lock:
        entry = _cache.get(row.pk)
        if entry is not None and entry.stamp == stamp:
            _cache.move_to_end(row.pk)
            runtime: ConnectionRuntime | None = entry.runtime
        else:
            runtime = None
    if runtime is None:
        runtime = _build_cached(row, stamp, entries)
    if run_id is not None:
        _note_use(row, run_id)
    return runtime


def _build_cached(row: Connection, stamp: tuple[Any, ...], entries: list[str]) -> ConnectionRuntime:
    try:
        secrets = get_vault().decrypt(row.secrets_ciphertext)
    except VaultError as exc:
        raise NodeError(str(exc), hint="Ask an administrator to check FLOWBUILDER_SECRET_KEYS.") from None
    try:
        runtime = build_runtime(row, secrets, policy=policy_from(entries))
    except ConnectorError as exc:
        raise NodeError(
            f"Connection {row.name!r} cannot be opened: {exc.message}",
            hint=exc.hint or "Edit the connection and test it.",
        ) from None
    except NodeError:
        raise
    except Exception as exc:  # e.g. an invalid egress allow-list entry; never leak values
        raise NodeError(
            f"Connection {row.name!r} cannot be opened ({type(exc).__name__}).",
            hint="Check the connection and the organisation's egress allow-list.",
        ) from None
    with _lock:
        # Replaced runtimes are not closed: another thread may still be using them; GC frees them.
        _cache[row.pk] = _Entry(stamp=stamp, runtime=runtime)
        _cache.move_to_end(row.pk)
        while len(_cache) > max(1, settings.FLOWBUILDER_CONNECTION_CACHE_SIZE):
            _cache.popitem(last=False)
    return runtime


def _note_use(row: Connection, run_id: int) -> None:
    key = (row.pk, int(run_id))
    with _lock:
        if key in _uses:
            return
    usage.record_use(row, int(run_id))
    with _lock:
        _uses[key] = None
        while len(_uses) > _USE_MEMO_SIZE:
            _uses.popitem(last=False)
