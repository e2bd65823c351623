"""Business Central webhook subscriptions, as documented ("Working with webhooks in Dynamics 365 Business
Central", https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions):

* ``POST /api/v2.0/subscriptions`` with ``notificationUrl``, ``resource`` and an optional ``clientState``;
  Business Central first calls ``notificationUrl?validationToken=...`` and creates the subscription only
  when the answer is 200 with the token as the body (within 5 seconds);
* subscriptions expire after 3 days; ``PATCH subscriptions('{id}')`` (with ``If-Match``) renews one, with
  the handshake again; ``DELETE`` ends one;
* a change to the subscribed collection POSTs ``{"value": [{"subscriptionId", "clientState",
  "expirationDateTime", "resource", "changeType", "lastModifiedDateTime"}]}`` to ``notificationUrl``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..platform.timeutil import iso_z, parse_iso, utcnow

log = logging.getLogger("sandbox.business_central.subscriptions")
LIFETIME = timedelta(days=3)
HANDSHAKE_TIMEOUT_S = 5.0
FIELDS = {"notificationUrl", "resource", "clientState"}
READ_ONLY = {"subscriptionId", "userId", "lastModifiedDateTime", "expirationDateTime", "timestamp"}
_RESOURCE = re.compile(
    r"^(?:https?://[^/]+)?(?:/v2\.0/[^/]+/[^/]+)?(?P<api>/api/[^ ]+?)/companies\((?P<cid>[0-9a-fA-F-]{36})\)"
    r"/(?P<es>[A-Za-z]+)$"
)
USER_ID = "00000000-0000-0000-0000-000000000001"


class SubscriptionError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_resource(resource: str) -> tuple[str, str, str] | None:
    """(API root ``/api/v2.0``, company id, entity set) of a subscribed collection, or None."""
    m = _RESOURCE.match(resource.strip())
    return (m.group("api"), m.group("cid").lower(), m.group("es")) if m else None


def check_body(body: dict[str, Any], *, creating: bool) -> None:
    for key in body:
        if key.startswith("@odata"):
            continue
        if key in READ_ONLY:
            raise SubscriptionError(400, "BadRequest", f"The property '{key}' is read-only.")
        if key not in FIELDS:
            raise SubscriptionError(
                400,
                "BadRequest_PropertyNotFound",
                f"The property '{key}' does not exist on type 'Microsoft.NAV.subscriptions'.",
            )
        if not isinstance(body[key], str):
            raise SubscriptionError(
                400,
                "BadRequest",
                f"Cannot convert the literal '{body[key]}' to the expected type for '{key}'.",
            )
    if creating:
        for key in ("notificationUrl", "resource"):
            if not body.get(key):
                raise SubscriptionError(400, "Internal_FieldMissing", f"{key} must have a value.")
    if len(body.get("clientState") or "") > 2048:
        raise SubscriptionError(400, "BadRequest", "clientState can be at most 2048 characters.")
    url = body.get("notificationUrl")
    if url is not None and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise SubscriptionError(400, "BadRequest", "notificationUrl must be an absolute http(s) URL.")


def handshake(url: str) -> None:
    """``POST notificationUrl?validationToken=<token>``: the answer must be 200 with the token as its body."""
    token = uuid.uuid4().hex
    sep = "&" if "?" in url else "?"
    target = f"{url}{sep}{urlencode({'validationToken': token})}"
    req = urllib.request.Request(target, data=b"", method="POST")  # noqa: S310 - http(s) checked
    failed = SubscriptionError(
        400,
        "Application_DialogException",
        "The subscription could not be created: the notification URL did not return the validation token.",
    )
    try:
        with urllib.request.urlopen(req, timeout=HANDSHAKE_TIMEOUT_S) as resp:  # noqa: S310 - test double
            if resp.status != 200 or resp.read(4096).decode("utf-8", "replace").strip() != token:
                raise failed
    except (urllib.error.URLError, OSError, ValueError):
        raise failed from None


def new_subscription(body: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {
        "subscriptionId": uuid.uuid4().hex,
        "notificationUrl": body["notificationUrl"],
        "resource": body["resource"],
        "userId": USER_ID,
        "lastModifiedDateTime": iso_z(now, millis=True),
        "clientState": body.get("clientState") or "",
        "expirationDateTime": iso_z(now + LIFETIME, millis=True),
        "_set": "subscriptions",
        "_version": 1,
    }


def renew(sub: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    sub.update({k: v for k, v in body.items() if k in FIELDS})
    sub["lastModifiedDateTime"] = iso_z(now, millis=True)
    sub["expirationDateTime"] = iso_z(now + LIFETIME, millis=True)
    sub["_version"] = int(sub.get("_version", 1)) + 1
    return sub


def notification(sub: dict[str, Any], record: dict[str, Any], change: str) -> dict[str, Any]:
    return {
        "subscriptionId": sub["subscriptionId"],
        "clientState": sub.get("clientState") or "",
        "expirationDateTime": sub["expirationDateTime"],
        "resource": f"{sub['resource'].rstrip('/')}({record.get('id')})",
        "changeType": change,
        "lastModifiedDateTime": record.get("lastModifiedDateTime") or iso_z(utcnow(), millis=True),
    }


def live(sub: dict[str, Any]) -> bool:
    expires = parse_iso(sub.get("expirationDateTime") or "")
    return expires is not None and expires > utcnow()


def deliver(url: str, payload: dict[str, Any]) -> None:
    """POST the notification from a daemon thread: the API request that changed the record never waits."""

    def send() -> None:
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=HANDSHAKE_TIMEOUT_S) as resp:  # noqa: S310 - test double
                resp.read(512)
        except (urllib.error.URLError, OSError) as exc:
            log.info("notification to %s failed: %s", url, exc)

    threading.Thread(target=send, name="bc-notification", daemon=True).start()
