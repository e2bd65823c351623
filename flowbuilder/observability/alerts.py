"""Alerts: rules evaluated by a beat task open incidents (one per open condition, deduplicated), send
them on their channels outside quiet hours, escalate unacknowledged ones after a delay, and are
acknowledged and resolved by people.

A rule of a customer watches that customer; a partner's rule watches each of its customers (and itself),
opening incidents per customer and sending on the partner's channels. An incident is always about one
organisation, and a rule's conditions only read that organisation's rows: one customer's failures never
reach another customer's channels.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.credentials.models import Connection
from flowbuilder.execution.models import FailureKind, FailureRecord
from flowbuilder.tenancy.models import Organisation, OrganisationKind
from flowbuilder.tenancy.permissions import can
from flowbuilder.triggers.models import PollingState

from . import alert_channels
from .alert_models import AlertDelivery, AlertKind, AlertRule, ChannelKind, Incident, IncidentStatus
from .insight_models import KpiValue, SlaEvaluation, SlaStatus

log = logging.getLogger(__name__)

Condition = tuple[str, str, dict[str, Any]]  # key, title, detail
FIRST_LOOK = timedelta(minutes=15)  # how far back a rule looks on its first evaluation


# --- rules ---------------------------------------------------------------------------------------------


def _channels(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > 10:
        raise InvalidInputError("Give a list of at most 10 channels.", field=field)
    clean = []
    for channel in value:
        kind = (channel or {}).get("kind") if isinstance(channel, dict) else None
        target = str((channel or {}).get("target") or "").strip() if isinstance(channel, dict) else ""
        if kind not in ChannelKind.values or not target or len(target) > 500:
            raise InvalidInputError(
                "Each channel needs a kind (email, slack, teams, webhook) and a target.", field=field
            )
        if kind == ChannelKind.EMAIL:
            try:
                EmailValidator()(target)
            except Exception as exc:
                raise InvalidInputError(f"{target!r} is not an e-mail address.", field=field) from exc
        elif not target.startswith(("https://", "http://")):
            raise InvalidInputError("A webhook target is an http(s) URL.", field=field)
        clean.append({"kind": kind, "target": target})
    return clean


def _params(kind: str, params: Any) -> dict[str, Any]:
    params = dict(params or {}) if isinstance(params, dict) else None
    if params is None:
        raise InvalidInputError("params must be an object.", field="params")
    positive = {
        "failure_burst": ("count", "minutes"),
        "trigger_unhealthy": ("silent_minutes",),
        "credential_expiring": ("days",),
    }
    for name in positive.get(kind, ()):
        value = params.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 100_000:
            raise InvalidInputError(f"params.{name} must be a positive whole number.", field="params")
    return params


def save_rule(
    *, actor: Any, organisation: Organisation, rule: AlertRule | None = None, **values: Any
) -> AlertRule:
    if not can(actor, "change", organisation):
        raise PermissionDeniedError("You may not change alert rules here.")
    rule = rule or AlertRule(organisation=organisation)
    for field in (
        "name",
        "kind",
        "escalate_after_minutes",
        "quiet_start",
        "quiet_end",
        "timezone",
        "enabled",
    ):
        if field in values:
            setattr(rule, field, values[field])
    if rule.kind not in AlertKind.values:
        raise InvalidInputError("Unknown alert kind.", field="kind")
    if "params" in values or rule.pk is None:
        rule.params = _params(rule.kind, values.get("params", rule.params))
    if "channels" in values or rule.pk is None:
        rule.channels = _channels(values.get("channels", rule.channels), "channels")
    if "escalation_channels" in values:
        rule.escalation_channels = _channels(values["escalation_channels"], "escalation_channels")
    if (rule.quiet_start is None) != (rule.quiet_end is None):
        raise InvalidInputError("Give both ends of the quiet hours, or neither.", field="quiet_end")
    try:
        ZoneInfo(rule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError("Unknown time zone.", field="timezone") from exc
    with transaction.atomic():
        rule.save()
        record(
            AuditAction.ALERT_RULE_SAVE,
            actor=actor,
            organisation=organisation.pk,
            obj=rule,
            after={"kind": rule.kind},
        )
    return rule


def delete_rule(*, actor: Any, rule: AlertRule) -> None:
    if not can(actor, "change", rule):
        raise PermissionDeniedError("You may not change alert rules here.")
    with transaction.atomic():
        record(AuditAction.ALERT_RULE_DELETE, actor=actor, organisation=rule.organisation_id, obj=rule)
        rule.delete()


def acknowledge(*, actor: Any, incident: Incident) -> Incident:
    """Someone is on it: no escalation. The incident stays open (and deduplicates) until resolved."""
    if not can(actor, "operate", incident):
        raise PermissionDeniedError("You may not act on incidents here.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status != IncidentStatus.OPEN:
            raise InvalidInputError(f"The incident is {incident.status} already.", field="status")
        incident.status, incident.acknowledged_at, incident.acknowledged_by = (
            IncidentStatus.ACKNOWLEDGED,
            timezone.now(),
            actor,
        )
        incident.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        record(
            AuditAction.INCIDENT_ACKNOWLEDGE, actor=actor, organisation=incident.organisation_id, obj=incident
        )
    return incident


def resolve(*, actor: Any, incident: Incident) -> Incident:
    if not can(actor, "operate", incident):
        raise PermissionDeniedError("You may not act on incidents here.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status == IncidentStatus.RESOLVED:
            raise InvalidInputError("The incident is resolved already.", field="status")
        incident.status, incident.resolved_at, incident.resolved_by = (
            IncidentStatus.RESOLVED,
            timezone.now(),
            actor,
        )
        incident.save(update_fields=["status", "resolved_at", "resolved_by"])
        record(AuditAction.INCIDENT_RESOLVE, actor=actor, organisation=incident.organisation_id, obj=incident)
    return incident


# --- evaluation ----------------------------------------------------------------------------------------


def watched(rule: AlertRule) -> list[int]:
    """The organisations a rule watches: its own; a partner's rule also each of its customers."""
    org = rule.organisation
    if org.kind != OrganisationKind.PARTNER:
        return [org.pk]
    return [org.pk, *Organisation.objects.filter(parent=org).values_list("id", flat=True)]


def conditions(rule: AlertRule, org_id: int, since: datetime, now: datetime) -> list[Condition]:
    """What is wrong in one organisation now, by the rule's kind (each condition: one incident)."""
    p = rule.params or {}
    if rule.kind == AlertKind.RUN_FAILED:
        failures = FailureRecord.objects.filter(
            organisation_id=org_id, kind=FailureKind.RUN, created_at__gt=since
        )
        if p.get("criticality"):
            failures = failures.filter(flow__criticality__in=list(p["criticality"]))
        rows = failures.values("flow_id", "flow__name").annotate(n=Count("id"))
        return [
            (
                f"flow:{r['flow_id']}",
                f"Runs of “{r['flow__name']}” failed",
                {"failed_runs": r["n"], "flow": r["flow_id"]},
            )
            for r in rows
        ]
    if rule.kind == AlertKind.FAILURE_BURST:
        window = now - timedelta(minutes=int(p["minutes"]))
        n = FailureRecord.objects.filter(organisation_id=org_id, created_at__gt=window).count()
        if n >= int(p["count"]):
            return [("burst", f"{n} failures in {p['minutes']} minutes", {"failures": n})]
        return []
    if rule.kind == AlertKind.TRIGGER_UNHEALTHY:
        silent = now - timedelta(minutes=int(p["silent_minutes"]))
        found = []
        for state in PollingState.objects.filter(
            flow__organisation_id=org_id, enabled=True, paused_at__isnull=True
        ).select_related("flow"):
            if state.consecutive_failures:
                found.append(
                    (
                        f"trigger:{state.pk}",
                        f"Trigger of “{state.flow.name}” is failing",
                        {"error": state.last_error[:300]},
                    )
                )
            elif (state.last_success_at or state.created_at) < silent:
                found.append(
                    (
                        f"trigger:{state.pk}",
                        f"Trigger of “{state.flow.name}” is silent",
                        {"last_success_at": str(state.last_success_at)},
                    )
                )
        return found
    if rule.kind == AlertKind.SLA_BREACHED:
        rows = (
            SlaEvaluation.objects.filter(
                organisation_id=org_id, status=SlaStatus.BREACHED, breached_at__gt=since
            )
            .values("policy_id", "policy__name")
            .annotate(n=Count("id"))
        )
        return [
            (f"sla:{r['policy_id']}", f"SLA “{r['policy__name']}” breached", {"breaches": r["n"]})
            for r in rows
        ]
    if rule.kind == AlertKind.KPI_OVER:
        latest = (
            KpiValue.objects.filter(organisation_id=org_id)
            .order_by("definition_id", "-computed_at")
            .distinct("definition_id")
        )
        return [
            (
                f"kpi:{v.definition_id}",
                f"KPI “{v.definition.name}” is over its threshold",
                {"value": str(v.value)},
            )
            for v in latest.select_related("definition")
            if v.over_threshold
        ]
    if rule.kind == AlertKind.CREDENTIAL_EXPIRING:
        soon = now + timedelta(days=int(p["days"]))
        rows = Connection.objects.filter(
            organisation_id=org_id, credential_expires_at__isnull=False, credential_expires_at__lte=soon
        )
        return [
            (
                f"connection:{c.pk}",
                f"Connection “{c.name}” expires {c.credential_expires_at:%Y-%m-%d}",
                {"expires_at": c.credential_expires_at.isoformat()},
            )
            for c in rows
        ]
    return []


def in_quiet_hours(rule: AlertRule, now: datetime) -> bool:
    if rule.quiet_start is None or rule.quiet_end is None:
        return False
    local: time = now.astimezone(ZoneInfo(rule.timezone)).time()
    start, end = rule.quiet_start, rule.quiet_end
    return start <= local < end if start <= end else (local >= start or local < end)  # over midnight


def evaluate_rule(rule: AlertRule, now: datetime | None = None) -> dict[str, int]:
    """Open or refresh incidents for what is wrong now, then send what is due. Idempotent per moment."""
    now = now or timezone.now()
    since = rule.last_evaluated_at or (now - FIRST_LOOK)
    opened = 0
    for org_id in watched(rule):
        for key, title, detail in conditions(rule, org_id, since, now):
            opened += _open_or_refresh(rule, org_id, key, title, detail, now)
    AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now)
    sent = _send_due(rule, now)
    return {"opened": opened, "sent": sent}


def _open_or_refresh(rule: AlertRule, org_id: int, key: str, title: str, detail: dict, now: datetime) -> int:
    live = Incident.objects.filter(rule=rule, organisation_id=org_id, key=key).exclude(
        status=IncidentStatus.RESOLVED
    )
    if live.update(occurrences=F("occurrences") + 1, last_seen_at=now, detail=detail):
        return 0
    try:
        with transaction.atomic():
            Incident.objects.create(
                rule=rule,
                organisation_id=org_id,
                key=key,
                title=title[:300],
                detail=detail,
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # another evaluation opened it a moment ago: one incident, not two
        return 0
    return 1


def _send_due(rule: AlertRule, now: datetime) -> int:
    if in_quiet_hours(rule, now):
        return 0  # incidents wait; the first evaluation after the quiet hours sends them
    sent = 0
    for incident in Incident.objects.filter(
        rule=rule, status=IncidentStatus.OPEN, notified_at__isnull=True
    ).select_related("rule", "organisation"):
        sent += _send(incident, rule.channels, escalation=False)
        Incident.objects.filter(pk=incident.pk).update(notified_at=now)
    if rule.escalate_after_minutes and rule.escalation_channels:
        due = now - timedelta(minutes=rule.escalate_after_minutes)
        for incident in Incident.objects.filter(
            rule=rule,
            status=IncidentStatus.OPEN,
            escalated_at__isnull=True,
            notified_at__isnull=False,
            opened_at__lte=due,
        ).select_related("rule", "organisation"):
            sent += _send(incident, rule.escalation_channels, escalation=True)
            Incident.objects.filter(pk=incident.pk).update(escalated_at=now)
    return sent


def _send(incident: Incident, channels: list[dict[str, str]], *, escalation: bool) -> int:
    ok = 0
    for channel in channels:
        error = alert_channels.deliver(incident, channel, escalation=escalation)
        AlertDelivery.objects.create(
            incident=incident,
            channel=channel.get("kind", ""),
            target=channel.get("target", "")[:500],
            escalation=escalation,
            ok=not error,
            error=error,
        )
        ok += int(not error)
        if error:
            log.warning("alert %s on %s failed: %s", incident.pk, channel.get("kind"), error)
    return ok


def evaluate_all(now: datetime | None = None) -> int:
    """Every enabled rule, one after the other (the beat task); a broken rule does not stop the others."""
    count = 0
    for rule in AlertRule.objects.filter(enabled=True).select_related("organisation"):
        try:
            evaluate_rule(rule, now)
            count += 1
        except Exception:
            log.exception("alert rule %s could not be evaluated", rule.pk)
    return count
