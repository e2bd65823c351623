"""Where a connection sends its credentials: the origins (scheme, host, port) of its base URL, the extra
origins its connector names, and every endpoint its credential type posts secrets to (token and
authorization URLs, typed in or derived from settings such as a NetSuite account id).

Changing any of them redirects the stored secret, so :func:`flowbuilder.credentials.actions.update_connection`
compares the set before and after an edit (ADR: a builder must not be able to send an admin's secret
to a host of their choosing by editing a URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector, CredentialType
from connectors.http.client import origin


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}" if host else ""


def destinations(
    connector: Connector,
    ctype: CredentialType,
    base_url: str,
    config: Mapping[str, Any],
    values: Mapping[str, Any],
) -> set[str]:
    """Every origin that receives this connection's credentials (non-secret ``values`` suffice)."""
    settings = {**config, "base_url": base_url}
    urls: list[str] = []
    try:
        resolved = connector.base_url(settings)
        urls.append(resolved)
        urls.extend(connector.auth_origins({**settings, "base_url": resolved}))
        settings["base_url"] = resolved
    except (KeyError, TypeError, ValueError):
        urls.append(base_url)
    urls.extend(str(values[f]) for f in ctype.url_fields() if values.get(f))
    grant = ctype.authorization
    if grant is not None:
        for endpoint in (grant.token_url, grant.authorize_url):
            try:
                urls.append(endpoint(values, settings))
            except (KeyError, TypeError, ValueError):
                continue  # incomplete values: the edit is refused for them anyway
    return {o for o in (origin_text(u) for u in urls if u) if o}
