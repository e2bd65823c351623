"""Outbound access for nodes: the safe HTTP client with the organisation's egress policy.

Secrets never pass through here as plain data to nodes: a connection is resolved to an auth object the
safe client applies only to the connection's own host.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from flowbuilder.core.errors import NodeError


def allowlist_for(organisation_id: int) -> list[str]:
    from flowbuilder.tenancy.models import Organisation

    org_list = (
        Organisation.objects.filter(pk=organisation_id).values_list("egress_allowlist", flat=True).first()
    )
    return [*settings.FLOWBUILDER_EGRESS_ALLOWLIST, *(org_list or [])]


def client_for(organisation_id: int, connection_id: str | None = None) -> Any:
    """A SafeClient for this organisation; with a connection, its base URL and auth applied."""
    if connection_id:
        return connection_handle(organisation_id, connection_id).http
    from connectors.http.client import SafeClient
    from connectors.http.egress import EgressPolicy

    entries = allowlist_for(organisation_id)
    policy = EgressPolicy(
        allow_hosts=[e for e in entries if "/" not in e], allow_networks=[e for e in entries if "/" in e]
    )
    # The engine owns retries (the next attempt time lives in the database), so the client does not retry.
    return SafeClient(policy=policy, retries=0)


def connection_handle(organisation_id: int, connection_id: str) -> Any:
    try:
        from flowbuilder.credentials.runtime import open_connection
    except ImportError as exc:  # pragma: no cover - until the connections vault lands
        raise NodeError(
            "Connections are not available yet.", hint="Use the HTTP node without a connection."
        ) from exc
    return open_connection(organisation_id, connection_id)
