"""One row per trigger node of a published flow that runs on its own: a connector polling trigger or a
schedule. It holds the persisted cursor (advanced in the same transaction that creates the run), when
the trigger is next due, and its error state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TriggerKind(models.TextChoices):
    POLL = "poll", "Polling"
    SCHEDULE = "schedule", "Schedule"


class TriggerHealth(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    WAITING = "waiting", "Not polled yet"
    FAILING = "failing", "Failing"
    PAUSED = "paused", "Paused"
    REMOVED = "removed", "No longer in the published flow"


class PollingState(models.Model):
    tenant_field = "flow__organisation"

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="polling_states")
    # Whose release the trigger follows: "prod" is the published version (every flow without
    # environments); "dev" and "test" their releases (flows.environments). Cursors are per environment.
    environment = models.CharField(max_length=8, default="prod")
    node_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=TriggerKind.choices, default=TriggerKind.POLL)
    node_type = models.CharField(max_length=200)
    # Hash of what the cursor depends on (node type, connection, poll config): a change resets the cursor.
    fingerprint = models.CharField(max_length=64)
    cursor = models.JSONField(null=True, blank=True)
    # Bumped with every cursor change: a poll only commits if the generation it started from is current.
    generation = models.PositiveIntegerField(default=0)
    # False once the node left the published flow; an operator's pause is separate and survives publishing.
    enabled = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interval_s = models.PositiveIntegerField(default=300)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_run_id = models.BigIntegerField(null=True, blank=True)
    runs_started = models.PositiveIntegerField(default=0)
    # Exactly-once ingress: record versions found again (overlapping cursors, a redelivered poll) and
    # changes that were our own flows' writes (echoes); neither started a run.
    duplicates_skipped = models.PositiveIntegerField(default=0)
    echoes_skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["flow_id", "node_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "environment", "node_id"], name="one_polling_state_per_env_node"
            )
        ]
        indexes = [models.Index(fields=["enabled", "next_poll_at"], name="polling_state_due")]

    def __str__(self) -> str:
        return f"{self.kind} trigger {self.flow_id}/{self.environment}/{self.node_id}"

    @property
    def health(self) -> str:
        if not self.enabled:
            return TriggerHealth.REMOVED
        if self.paused_at is not None:
            return TriggerHealth.PAUSED
        if self.consecutive_failures:
            return TriggerHealth.FAILING
        if self.last_polled_at is None:
            return TriggerHealth.WAITING
        return TriggerHealth.HEALTHY


class WebhookDelivery(models.Model):
    """A webhook delivery id a flow has seen: within its window a repeated delivery starts nothing and
    answers with ``run``, the first delivery's run. The unique constraint is what makes 100 concurrent
    copies start one run (``triggers.ingress.claim_delivery`` inserts with ON CONFLICT)."""

    tenant_field = "flow__organisation"

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    run = models.ForeignKey(
        "execution.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "key"], name="one_delivery_per_key")]
        indexes = [models.Index(fields=["expires_at"], name="webhook_delivery_expiry")]

    def __str__(self) -> str:
        return f"delivery {self.key} of flow {self.flow_id}"


class SeenRecord(models.Model):
    """A record version a polling trigger has started a run for: found again within the window (by an
    overlapping cursor, a redelivered poll) it starts nothing."""

    tenant_field = "state__flow__organisation"

    state = models.ForeignKey(PollingState, on_delete=models.CASCADE, related_name="+")
    record = models.CharField(max_length=255, help_text="object:id")
    version = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "record", "version"], name="one_run_per_record_version")
        ]
        indexes = [models.Index(fields=["expires_at"], name="seen_record_expiry")]

    def __str__(self) -> str:
        return f"{self.record}@{self.version}"
