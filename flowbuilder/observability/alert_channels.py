"""Sending an incident: e-mail through Django's mail, Slack and Microsoft Teams incoming webhooks and a
generic webhook, every HTTP call through the safe client under the rule organisation's egress policy.

Shapes: Slack incoming webhooks take ``{"text": ...}`` (https://docs.slack.dev/tools/java-slack-sdk/guides/
incoming-webhooks); Teams webhooks (Workflows, and the retiring connectors) take a message with an Adaptive
Card attachment (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/
connectors-using). The generic webhook receives the incident as JSON.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from connectors.http.client import SafeClient
from flowbuilder.credentials.runtime import policy_for

from .alert_models import ChannelKind, Incident


def message(incident: Incident, *, escalation: bool) -> dict[str, Any]:
    """The incident in plain words and as data (the generic webhook's body)."""
    prefix = "ESCALATED: " if escalation else ""
    return {
        "incident": incident.pk,
        "rule": incident.rule.name,
        "kind": incident.rule.kind,
        "organisation": {"id": incident.organisation_id, "name": incident.organisation.name},
        "title": f"{prefix}{incident.title}",
        "status": incident.status,
        "occurrences": incident.occurrences,
        "opened_at": incident.opened_at.isoformat(),
        "detail": incident.detail,
        "escalation": escalation,
    }


def _text(body: dict[str, Any]) -> str:
    return (
        f"{body['title']} — {body['organisation']['name']} (rule “{body['rule']}”, "
        f"{body['occurrences']} occurrence{'s' if body['occurrences'] != 1 else ''})"
    )


def payload(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    if kind == ChannelKind.SLACK:
        return {"text": _text(body)}
    if kind == ChannelKind.TEAMS:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": body["title"], "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": _text(body), "wrap": True},
            ],
        }
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    return body


def deliver(incident: Incident, channel: dict[str, str], *, escalation: bool) -> str:
    """Send on one channel; '' when it went out, else why not (the caller records it)."""
    body = message(incident, escalation=escalation)
    kind, target = channel.get("kind", ""), channel.get("target", "")
    try:
        if kind == ChannelKind.EMAIL:
            send_mail(body["title"], _text(body), settings.DEFAULT_FROM_EMAIL, [target])
            return ""
        with SafeClient(policy=policy_for(incident.rule.organisation_id), retries=1, timeout=5.0) as http:
            response = http.post(target, json=payload(kind, body), raise_for_status=False)
        return "" if response.ok else f"HTTP {response.status}"
    except Exception as exc:  # a dead channel is recorded on the delivery, never fails the evaluation
        return f"{type(exc).__name__}: {exc}"[:500]
