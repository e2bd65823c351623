"""Business Central webhook subscriptions stay alive: Business Central drops one 3 days after it was created
or last renewed, so a beat task renews, on every Business Central connection, the subscriptions that notify
this installation's webhook URLs (``PUBLIC_URL/hooks/``) and expire within ``RENEW_WITHIN``.

Nothing is stored here: the connection lists its subscriptions, so one deleted in Business Central (or by a
flow) is simply not renewed. Renewal repeats the validation handshake, which the webhook trigger answers
(flowbuilder.triggers.webhooks, ``validation_handshake``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings

from connectors.erp.dynamics.connector import renew_expiring
from flowbuilder.credentials.models import Connection
from flowbuilder.credentials.runtime import open_connection

log = logging.getLogger(__name__)
RENEW_WITHIN = timedelta(hours=36)  # renewed twice a day, so a day of failures still leaves time


def renew_business_central_subscriptions(within: timedelta = RENEW_WITHIN) -> dict[str, int]:
    prefix = settings.PUBLIC_URL.rstrip("/") + "/hooks/"
    counts = {"connections": 0, "renewed": 0, "failed": 0}
    for conn in Connection.objects.filter(connector="dynamics").only("id", "organisation_id"):
        counts["connections"] += 1
        try:
            runtime = open_connection(conn.organisation_id, conn.pk)
            counts["renewed"] += len(renew_expiring(runtime.context(), prefix, within))
        except Exception as exc:  # noqa: BLE001 - one connection never stops the rest
            counts["failed"] += 1
            log.warning("renewing Business Central subscriptions of connection %s failed: %s", conn.pk, exc)
    return counts
