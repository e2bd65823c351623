"""Runs, the node executions inside them, and the ordered event log a watcher replays.

The database is the source of truth for every run; the broker only rings the doorbell.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_RUN = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
ACTIVE_RUN = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.WAITING})


class NodeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # claimed for a branch task that has not started yet
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


TERMINAL_NODE = frozenset({NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.SKIPPED})
CLAIMED_NODE = frozenset({NodeStatus.QUEUED, NodeStatus.RUNNING})


class EventType(models.TextChoices):
    """Every run and node event a watcher can receive: the one catalogue (the API schema exports it)."""

    RUN_QUEUED = "run.queued", "Run queued"
    RUN_STARTED = "run.started", "Run started"
    RUN_WAITING = "run.waiting", "Run waiting"
    RUN_SUCCEEDED = "run.succeeded", "Run succeeded"
    RUN_FAILED = "run.failed", "Run failed"
    RUN_CANCELLED = "run.cancelled", "Run cancelled"
    NODE_STARTED = "node.started", "Node started"
    NODE_RETRYING = "node.retrying", "Node waiting to retry"
    NODE_SUCCEEDED = "node.succeeded", "Node succeeded"
    NODE_FAILED = "node.failed", "Node failed"
    NODE_SKIPPED = "node.skipped", "Node skipped"

    @classmethod
    def for_run_status(cls, status: str) -> EventType:
        """The event that announces a run reaching ``status``."""
        return cls(f"run.{status}")


class RunOrigin(models.TextChoices):
    """Where a run came from (not to be confused with trigger nodes or the triggers app)."""

    MANUAL = "manual", "Manual"
    WEBHOOK = "webhook", "Webhook"
    SCHEDULE = "schedule", "Schedule"
    SUBFLOW = "subflow", "Sub-flow"
    REPLAY = "replay", "Replay"
    API = "api", "API"


class Run(models.Model):
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="runs")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey("flows.FlowVersion", on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    origin = models.CharField(max_length=16, choices=RunOrigin.choices, default=RunOrigin.MANUAL)
    input_items = models.JSONField(default=list)
    output_items = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    options = models.JSONField(default=dict, blank=True)  # only_node, pinned data
    correlation_id = models.CharField(max_length=64, default=uuid.uuid4, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent_run = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    parent_node_id = models.CharField(max_length=100, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Durability bookkeeping (database time).
    deliveries = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organisation", "-id"]),
            models.Index(fields=["flow", "-id"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class NodeRun(models.Model):
    tenant_field = "run__organisation"

    # No index of its own: the unique (run, node_id) constraint's index serves lookups by run.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="node_runs", db_index=False)
    node_id = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=NodeStatus.choices)
    attempt = models.PositiveIntegerField(default=1)
    # Fencing token: a write only lands if the claim it was made under is still current.
    claim_token = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    input_counts = models.JSONField(default=dict)
    output_counts = models.JSONField(default=dict)
    output_items = models.JSONField(default=dict)  # port -> items
    error = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "node_id"], name="one_node_run_per_node")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.node_id} ({self.status})"


class RunEvent(models.Model):
    tenant_field = "run__organisation"

    # No index of its own: the unique (run, seq) constraint's index serves lookups by run.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40, choices=EventType.choices)
    node_id = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_seq_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq} {self.type}"

    def as_message(self) -> dict:
        return event_message(self.seq, self.type, self.node_id, self.payload, self.at)


def event_message(seq: int, type_: str, node_id: str, payload: dict, at: datetime) -> dict:
    """An event as watchers receive it (websocket frames, snapshots): the one place for its shape."""
    return {"seq": seq, "type": type_, "node_id": node_id, "payload": payload, "at": at.isoformat()}
