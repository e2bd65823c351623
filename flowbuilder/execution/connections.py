"""Outbound access for nodes: the safe HTTP client with the organisation's egress policy.

Secrets never pass through here as plain data to nodes: a connection is resolved (in this worker, by
``flowbuilder.credentials.runtime``) to a runtime whose safe client applies them only to the
connection's own host.
"""

from __future__ import annotations

from typing import Any


def client_for(organisation_id: int, connection_id: str | None = None, *, run_id: int | None = None) -> Any:
    """A SafeClient for this organisation; with a connection, its base URL and auth applied."""
    if connection_id:
        return connection_handle(organisation_id, connection_id, run_id=run_id).http
    from connectors.http.client import SafeClient
    from flowbuilder.credentials.runtime import policy_for

    # The engine owns retries (the next attempt time lives in the database), so the client does not retry.
    return SafeClient(policy=policy_for(organisation_id), retries=0)


def connection_handle(organisation_id: int, connection_id: str, *, run_id: int | None = None) -> Any:
    from flowbuilder.credentials.runtime import open_connection

    return open_connection(organisation_id, connection_id, run_id=run_id)
