"""Alert rules, the incidents they open (one per open condition: deduplication) and each delivery made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AlertKind(models.TextChoices):
    RUN_FAILED = "run_failed", "A run failed"
    FAILURE_BURST = "failure_burst", "N failures in M minutes"
    TRIGGER_UNHEALTHY = "trigger_unhealthy", "A trigger failing or silent"
    SLA_BREACHED = "sla_breached", "An SLA breached"
    KPI_OVER = "kpi_over", "A KPI over its threshold"
    CREDENTIAL_EXPIRING = "credential_expiring", "A credential about to expire"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"
    WEBHOOK = "webhook", "Generic webhook"


class AlertRule(models.Model):
    """What to watch, whom to tell and when not to. A partner's rule watches each of its customers.

    ``params`` by kind: run_failed ``{"criticality": ["critical", "high"]}`` (empty: every flow);
    failure_burst ``{"count": N, "minutes": M}``; trigger_unhealthy ``{"silent_minutes": S}``; kpi_over and
    sla_breached none; credential_expiring ``{"days": D}``. ``channels`` and ``escalation_channels`` are
    lists of ``{"kind": email|slack|teams|webhook, "target": address or URL}``. Quiet hours are a window
    in ``timezone`` during which nothing is sent (the incident is still opened; it is sent at the end).
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    params = models.JSONField(default=dict, blank=True)
    channels = models.JSONField(default=list)
    escalation_channels = models.JSONField(default=list, blank=True)
    escalate_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    enabled = models.BooleanField(default=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"alert rule {self.name}"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Incident(models.Model):
    """One open condition of one rule for one customer: repeated failures add to ``occurrences``, they do
    not send again. Acknowledging stops the escalation; resolving closes it (the next failure opens a new
    incident)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="incidents")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    occurrences = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "organisation", "key"],
                condition=~Q(status="resolved"),
                name="one_unresolved_incident_per_key",
            )
        ]
        indexes = [models.Index(fields=["organisation", "status", "-id"], name="incident_org_status")]

    def __str__(self) -> str:
        return f"incident {self.pk} {self.title} ({self.status})"


class AlertDelivery(models.Model):
    """One message sent (or tried) on one channel for one incident."""

    tenant_field = "incident__organisation"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=12, choices=ChannelKind.choices)
    target = models.CharField(max_length=500)
    escalation = models.BooleanField(default=False)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.channel} for incident {self.incident_id}"


class RetentionPolicy(models.Model):
    """How long an organisation's run data is kept (days; 0 keeps it forever). Failed runs are kept longer:
    they are what people come back to. The last pruning's figures are kept to show what it saved."""

    organisation = models.OneToOneField("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    run_days = models.PositiveIntegerField(default=30)
    failed_run_days = models.PositiveIntegerField(default=90)
    last_pruned_at = models.DateTimeField(null=True, blank=True)
    last_runs_deleted = models.PositiveIntegerField(default=0)
    last_bytes_saved = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"retention of {self.organisation_id}: {self.run_days}/{self.failed_run_days} days"
