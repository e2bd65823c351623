"""Business Central webhook subscriptions stay alive: Business Central drops one 3 days after it was created
or last renewed, so a beat task renews, on every Business Central connection, the subscriptions that notify
this installation's webhook URLs (``PUBLIC_URL/hooks/``) and expire within ``RENEW_WITHIN``: on the
standard API route, and on each custom API page route (``publisher/group/version``) that a live version of
one of the organisation's flows uses with that connection (a custom page's subscriptions live on its own
route, so they are listed there).

Nothing is stored here: the connection lists its subscriptions, so one deleted in Business Central (or by a
flow) is simply not renewed. Renewal repeats the validation handshake, which the webhook trigger answers
(flowbuilder.triggers.webhooks, ``validation_handshake``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from connectors.erp.dynamics.client import STANDARD_ROUTE, api_route
from connectors.erp.dynamics.connector import renew_expiring
from connectors.errors import ConnectorError
from flowbuilder.credentials.models import Connection
from flowbuilder.credentials.runtime import open_connection
from flowbuilder.flows.models import Flow, FlowVersion, Release

log = logging.getLogger(__name__)
RENEW_WITHIN = timedelta(hours=36)  # renewed twice a day, so a day of failures still leaves time


def routes_in_use(connection: Connection) -> list[str]:
    """The standard route and every valid custom route that a live version (published, or released in an
    environment) of the organisation's flows sets on a node of ``connection``."""
    org = connection.organisation_id
    live = set(
        Flow.objects.filter(organisation_id=org, published_version__isnull=False).values_list(
            "published_version_id", flat=True
        )
    ) | set(Release.objects.filter(organisation_id=org).values_list("version_id", flat=True))
    routes = {STANDARD_ROUTE}
    for document in FlowVersion.objects.filter(pk__in=live).values_list("document", flat=True).iterator():
        for node in (document or {}).get("nodes") or []:
            config = node.get("config") if isinstance(node, dict) else None
            if not isinstance(config, dict) or str(config.get("connection")) != str(connection.pk):
                continue
            try:
                routes.add(api_route(config.get("api_route")))
            except ConnectorError:
                continue  # the editor already marks the node red; nothing to renew there
    return sorted(routes)


def renew_business_central_subscriptions(within: timedelta = RENEW_WITHIN) -> dict[str, int]:
    prefix = settings.PUBLIC_URL.rstrip("/") + "/hooks/"
    counts = {"connections": 0, "renewed": 0, "failed": 0}
    for conn in Connection.objects.filter(connector="dynamics").only("id", "organisation_id"):
        counts["connections"] += 1
        try:
            runtime = open_connection(conn.organisation_id, conn.pk)
            renewed = renew_expiring(runtime.context(), prefix, within, routes=routes_in_use(conn))
            counts["renewed"] += len(renewed)
        except Exception as exc:  # noqa: BLE001 - one connection never stops the rest
            counts["failed"] += 1
            log.warning("renewing Business Central subscriptions of connection %s failed: %s", conn.pk, exc)
    return counts
