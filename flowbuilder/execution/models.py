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
    WAITING = "waiting", "Waiting"  # parked: a wait, an approval, a callback; the worker is free
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


TERMINAL_NODE = frozenset({NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.SKIPPED})
CLAIMED_NODE = frozenset({NodeStatus.QUEUED, NodeStatus.RUNNING})
# Nodes that will run again on their own at next_attempt_at (or when a callback or decision arrives).
PARKED_NODE = frozenset({NodeStatus.RETRYING, NodeStatus.WAITING})


class FailureCategory(models.TextChoices):
    """Why something failed, in words an analyst acts on (the failure inbox groups by it)."""

    CONNECTION = "connection", "Connection or sign-in"
    RATE_LIMIT = "rate_limit", "Rate limit"
    TIMEOUT = "timeout", "Timeout"
    REFUSED_VALUE = "refused_value", "Target refused a value"
    MISSING_REFERENCE = "missing_reference", "Missing reference"
    DUPLICATE = "duplicate", "Duplicate"
    VALIDATION = "validation", "Validation"
    BILLING_SETUP = "billing_setup", "Customer billing setup"
    NOT_TO_EXCEED = "not_to_exceed", "Over a not-to-exceed cap"
    NEEDS_REVIEW = "needs_review", "Needs a person's review"
    INTERNAL = "internal", "Internal error (our bug)"


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
    NODE_WAITING = "node.waiting", "Node waiting"
    NODE_SUCCEEDED = "node.succeeded", "Node succeeded"
    NODE_FAILED = "node.failed", "Node failed"
    NODE_SKIPPED = "node.skipped", "Node skipped"
    NODE_COMPENSATING = "node.compensating", "Node being undone"
    NODE_COMPENSATED = "node.compensated", "Node undone"
    NODE_COMPENSATION_FAILED = "node.compensation_failed", "Undoing the node failed"

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
    ERROR_FLOW = "error_flow", "Error flow"


class Run(models.Model):
    # Every run INSERT maintains each index, and the planner weighs each one per query: organisation, flow
    # and status are served by the composite indexes below, not single-column ones of their own.
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="runs", db_index=False)
    version = models.ForeignKey("flows.FlowVersion", on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
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
    # When its doorbell was rung (execution.admission): a queued run without it waits for its
    # organisation's (or flow's) share of the workers.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organisation", "-id"]),
            models.Index(fields=["flow", "-id"]),
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["organisation", "status"], name="run_org_status"),
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
    # When a retrying or waiting node runs again (database time; the sweeper wakes its run).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Rate-limit waits count against a deadline from the first attempt, not against an attempt count.
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    # A parked node's own memory (what it waits for) and what arrived to resume it (a callback, a decision).
    suspend_state = models.JSONField(null=True, blank=True)
    resume_payload = models.JSONField(null=True, blank=True)
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


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    TIMED_OUT = "timed_out", "Timed out"
    CANCELLED = "cancelled", "Cancelled"


class ApprovalRequest(models.Model):
    """A person's decision a run waits for (the approval node): who may decide, what they see, the outcome."""

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="approvals")
    node_id = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING, db_index=True
    )
    # Who may decide: members of the organisation with one of these roles, or these users.
    assignee_roles = models.JSONField(default=list, blank=True)
    assignee_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    # What the approver sees: the lines, their columns, the totals; and which fields may be edited.
    items = models.JSONField(default=list)
    columns = models.JSONField(default=list, blank=True)
    totals = models.JSONField(default=dict, blank=True)
    editable_fields = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_via = models.CharField(max_length=16, blank=True)  # inbox | api | email
    reason = models.TextField(blank=True)
    edited_items = models.JSONField(null=True, blank=True)
    # Single-use e-mail links: a link's nonce must match; deciding clears it.
    link_nonce = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["run", "node_id"], name="one_approval_per_run_node")]
        indexes = [models.Index(fields=["organisation", "status", "-id"])]

    def __str__(self) -> str:
        return f"approval {self.pk} ({self.status})"


class CompensationStatus(models.TextChoices):
    PENDING = "pending", "To undo"
    RUNNING = "running", "Undoing"
    RETRYING = "retrying", "Waiting to retry the undo"
    SUCCEEDED = "succeeded", "Undone"
    FAILED = "failed", "Undo failed"


class Compensation(models.Model):
    """One completed step's undo after a later step failed finally (the run's saga), in reverse order."""

    tenant_field = "run__organisation"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="compensations", db_index=False)
    node_id = models.CharField(max_length=100)
    order = models.PositiveIntegerField()  # 0 runs first: the step that finished last
    status = models.CharField(
        max_length=16, choices=CompensationStatus.choices, default=CompensationStatus.PENDING
    )
    attempt = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    output_items = models.JSONField(default=dict, blank=True)
    error = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "order"]
        constraints = [models.UniqueConstraint(fields=["run", "node_id"], name="one_compensation_per_node")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.node_id} undo ({self.status})"


class FailureKind(models.TextChoices):
    RUN = "run", "Failed run"
    ITEM = "item", "Failed item"


class FailureState(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


class FailureResolution(models.TextChoices):
    RESOLVED = "resolved", "Marked resolved"
    RETRIED = "retried", "Retried from the failed node"
    REPLAYED = "replayed", "Replayed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"
    CLEARED = "cleared", "No longer raised (fixed at the source)"


class FailureRecord(models.Model):
    """One thing that went wrong and needs a person: a run that failed finally, or one item a node failed
    on inside a run that carried on (``on_error: continue | error_port``).

    The engine writes these rows where the failure happens (``Engine._save_deferred``), in the transaction
    that stores the node's result, so the failure inbox reads one indexed table instead of scanning node
    results. The triage state (assignee, snooze, resolution) lives on the row for the same reason: the
    inbox's first page is one query. A unique key (run, node, item) keeps a redelivered step from writing
    the same failure twice. An exception a flow raises again on every scheduled run stays one open record
    that counts its ``occurrences`` (a partial unique index on the open records' fingerprint).
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="failures", db_index=False)
    kind = models.CharField(max_length=8, choices=FailureKind.choices)
    node_id = models.CharField(max_length=100, blank=True)
    item_index = models.IntegerField(default=-1)  # -1: the run as a whole
    item = models.JSONField(null=True, blank=True)
    category = models.CharField(max_length=24, choices=FailureCategory.choices, db_index=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Triage (the inbox's actions write these).
    state = models.CharField(max_length=12, choices=FailureState.choices, default=FailureState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=12, choices=FailureResolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follow_up_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Exceptions raised as data (``failure_records.for_exceptions``) carry a fingerprint of what went wrong
    # with which item; an open record with the same one is counted again instead of written again, and
    # then points at the run it was last seen in (``run``/``item_index``/``item`` are the latest).
    # Blank for plain run and item failures: those keep one record per run.
    fingerprint = models.CharField(max_length=64, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # What a person decided about it elsewhere (a match review), shown until the item is replayed.
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "node_id", "item_index"], name="one_failure_per_run_item"),
            models.UniqueConstraint(
                fields=["organisation", "flow", "node_id", "category", "fingerprint"],
                condition=models.Q(fingerprint__gt="") & ~models.Q(state=FailureState.RESOLVED),
                name="one_open_exception_per_fingerprint",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "-id"], name="failure_org_state"),
            models.Index(fields=["organisation", "state", "category"], name="failure_org_state_cat"),
        ]

    def __str__(self) -> str:
        return f"failure {self.pk} ({self.kind} {self.category}, {self.state})"
