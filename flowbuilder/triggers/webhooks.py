"""Webhook triggers: find the flow by its secret token, check the optional signature, start a run.

``/hooks/<token>/`` starts the published (prod) version, exactly as without environments. With
environments on (flows.environments), ``/hooks/<token>/dev/`` and ``/hooks/<token>/test/`` start that
environment's release, with its connections; an environment with no release answers 404. Delivery ids
are remembered per environment, so a test delivery never answers for prod's.

With ``validation_handshake`` the trigger speaks the Microsoft webhook protocol Business Central uses
(https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions):
a call carrying ``?validationToken=`` and no body is answered 200 with the token as plain text (no run),
and a notification ``{"value": [...]}`` starts one run whose items are the changes, each checked against
the configured ``client_state``."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection, transaction

from flowbuilder.core import json_input
from flowbuilder.core.compiled_query import CompiledQuery
from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import admission
from flowbuilder.execution.actions import normalise_items, start_run
from flowbuilder.execution.models import Run, RunOrigin
from flowbuilder.flows.models import Flow, FlowVersion, Release

from . import ingress

SIGNATURE_HEADER = "X-Flowbuilder-Signature"
MAX_BODY_BYTES = 5 * 1024 * 1024
VALIDATION_TOKEN = "validationToken"
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=\-]{1,512}$")


class PlainText(str):
    """An answer sent as ``text/plain`` (a validation handshake echoes its token), not as JSON."""


ENVIRONMENTS = ("dev", "test")  # the ones with their own URL; prod is the plain one


@dataclass
class WebhookTarget:
    flow: Flow
    config: dict[str, Any]
    environment: str = ""  # "" (prod, the published version) or a dev/test release
    version_id: int | None = None  # the release's version when environment is set

    @property
    def dedupe_scope(self) -> str:
        return f"{self.environment}:" if self.environment else ""

    @property
    def wants_result(self) -> bool:
        return self.config.get("response_mode") == "last_node"


class WebhookNotFound(Exception):
    pass


class SignatureInvalid(Exception):
    pass


def find_target(token: str, environment: str = "") -> WebhookTarget:
    if environment:
        return _find_release_target(token, environment)
    flow = _published_flow(token)
    if flow is None or flow.published_version_id is None:
        raise WebhookNotFound
    return WebhookTarget(flow, trigger_config(flow.published_version_id))


# Only the columns a call needs (the published document and plan stay in the database), with the
# organisation's live-run count for admission, in one query.
_TARGET_FIELDS = (
    "id",
    "organisation_id",
    "published_version_id",
    "webhook_secret",
    "max_concurrent_runs",
    "criticality",
)


def _target_query(token: str) -> Any:
    return (
        Flow.objects.only(*_TARGET_FIELDS)
        .annotate(org_live_runs=admission.live_runs_of_organisation())
        .filter(webhook_token=token)
        .order_by()  # the token is unique
    )


# Compiled once: building the same statement again cost about 0.8 ms of every webhook call.
_TARGET_QUERY = CompiledQuery(_target_query, token="\x00webhook-token")  # no token has a NUL


def _published_flow(token: str) -> Flow | None:
    statement, params = _TARGET_QUERY.sql(token=token)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        return None
    values = dict(zip(names, row, strict=True))
    fields = [f.attname for f in Flow._meta.concrete_fields if f.attname in values]
    flow = Flow.from_db(connection.alias, fields, [values[name] for name in fields])
    flow.org_live_runs = values["org_live_runs"]
    return flow


def _find_release_target(token: str, environment: str) -> WebhookTarget:
    """A dev/test URL: the environment's release, only while the organisation has environments on."""
    if environment not in ENVIRONMENTS:
        raise WebhookNotFound
    flow = (
        Flow.objects.only(*_TARGET_FIELDS)
        .filter(webhook_token=token, organisation__environments_enabled=True)
        .first()
    )
    if flow is None:
        raise WebhookNotFound
    version_id = (
        Release.objects.filter(flow_id=flow.pk, environment=environment)
        .values_list("version_id", flat=True)
        .first()
    )
    if version_id is None:
        raise WebhookNotFound
    return WebhookTarget(flow, trigger_config(version_id), environment, version_id)


@lru_cache(maxsize=1024)
def trigger_config(version_id: int) -> dict[str, Any]:
    """The webhook trigger's config of a published version; versions are immutable, so it is cached."""
    document = FlowVersion.objects.values_list("document", flat=True).get(pk=version_id)
    for node in document.get("nodes", []):
        if node.get("type") == "trigger.webhook":
            return node.get("config") or {}
    return {}


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(target: WebhookTarget, body: bytes, headers: Any) -> None:
    if not target.config.get("require_signature"):
        return
    header = target.config.get("signature_header") or SIGNATURE_HEADER
    given = headers.get(header, "")
    if not given or not hmac.compare_digest(given, signature_for(target.flow.webhook_secret, body)):
        raise SignatureInvalid(
            f"Missing or wrong {header}: sign the raw body with HMAC-SHA256 of the flow's secret."
        )


def handshake(token: str, body: bytes, query: dict[str, str], environment: str = "") -> PlainText | None:
    """The validation handshake's answer (the token), or None when this call is not one: the flow must
    ask for handshakes, and the call carries a token and no body."""
    given = query.get(VALIDATION_TOKEN)
    if not given or body.strip():
        return None
    target = find_target(token, environment)
    if not target.config.get("validation_handshake"):
        return None
    if not _TOKEN.match(given):
        raise InvalidInputError(
            "The validation token has characters a token cannot have.", field=VALIDATION_TOKEN
        )
    return PlainText(given)


def notification_items(target: WebhookTarget, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{"value": [change, ...]}`` becomes one item per change; with a configured client state every
    change must carry it (anyone who learns the URL could post, but not the shared client state)."""
    if len(items) == 1 and isinstance(items[0].get("value"), list):
        changes = [c for c in items[0]["value"] if isinstance(c, dict)]
        items = changes or items
    expected = str(target.config.get("client_state") or "")
    if expected and not all(hmac.compare_digest(str(i.get("clientState") or ""), expected) for i in items):
        raise SignatureInvalid("A notification without the subscription's clientState was refused.")
    return items


def parse_body(body: bytes, content_type: str, query: dict[str, str]) -> list[dict[str, Any]]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInputError("The body is larger than 5 MB.", field="body")
    for name, value in query.items():
        json_input.check_text(f"{name}{value}", field=f"query.{name}")
    if not body.strip():
        return [dict(query)] if query else [{}]
    if "json" not in content_type and content_type:
        # Form posts and text arrive as one item; nothing in them is ever evaluated.
        text = body.decode("utf-8", "replace")
        json_input.check_text(text, field="body")
        return [{"body": text, **query}]
    # A NUL character or nesting past the limit is a 400 naming the field, never a 500.
    return normalise_items(json_input.loads(body, field="body"))


def trigger_webhook(target: WebhookTarget, items: list[dict[str, Any]], *, waiter: str = "") -> Run:
    """Start the run; with ``waiter`` the engine also tells that waiting caller when the run ends."""
    options = {"waiter": waiter} if waiter else None
    # A release's run is pinned to its version (the id alone: start_run reads nothing else of it).
    version = FlowVersion(pk=target.version_id) if target.version_id else None
    return start_run(
        actor=None,
        flow=target.flow,
        input_items=items,
        origin=RunOrigin.WEBHOOK,
        options=options,
        version=version,
    )


@dataclass
class Accepted:
    """What a webhook call started: ``duplicate`` when its delivery id was seen within the window and
    ``run`` is the first delivery's run (None if that run is gone)."""

    target: WebhookTarget
    run: Run | None
    items: list[dict[str, Any]]
    duplicate: bool = False


def accept(
    token: str,
    body: bytes,
    content_type: str,
    query: dict[str, str],
    headers: Any,
    *,
    waiter: str = "",
    environment: str = "",
) -> Accepted:
    """Everything a webhook call needs from the database, in one hop: find, verify, parse, start.

    A trigger without a delivery id takes the lean path (one INSERT statement); with one, the delivery is
    claimed and the run started in one transaction, so concurrent copies start exactly one run.
    """
    target = find_target(token, environment)
    check_signature(target, body, headers)
    items = parse_body(body, content_type, query)
    if target.config.get("validation_handshake"):
        items = notification_items(target, items)
    for item in items:
        item.pop("wait", None)
    wait = query.get("wait") in {"1", "true", "yes"} or target.wants_result
    key = ingress.delivery_key(target.config, headers, items) if ingress.wants_dedupe(target.config) else None
    if key is not None and target.dedupe_scope:
        key = target.dedupe_scope + key
    if key is None:
        return Accepted(target, trigger_webhook(target, items, waiter=waiter if wait else ""), items)
    window = float(target.config.get("delivery_window_s") or ingress.DEFAULT_WINDOW_S)
    with transaction.atomic():
        if ingress.claim_delivery(target.flow.pk, key, window):
            run = trigger_webhook(target, items, waiter=waiter if wait else "")
            ingress.set_delivery_run(target.flow.pk, key, run.pk)
            return Accepted(target, run, items)
    # Taken: the first delivery's transaction has committed (the INSERT waited for it), so its run is visible.
    return Accepted(target, ingress.first_run(target.flow.pk, key), items, duplicate=True)
