"""The failure inbox's own rows: comments on failures and bulk batches with their progress.

The failures themselves are ``execution.FailureRecord`` (written by the engine, triage state included).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FailureComment(models.Model):
    tenant_field = "failure__organisation"

    failure = models.ForeignKey("execution.FailureRecord", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on failure {self.failure_id}"


class BulkAction(models.TextChoices):
    RETRY = "retry", "Retry from the failed node"
    REPLAY_CURRENT = "replay_current", "Replay on the current published version"
    REPLAY_ORIGINAL = "replay_original", "Replay on the original version"
    SKIP = "skip", "Skip"
    CANCEL = "cancel", "Cancel"
    RESOLVE = "resolve", "Mark resolved"
    REVALIDATE = "revalidate", "Revalidate (no side effects)"
    REPLAY_DRAFT = "replay_draft", "Replay on the current draft"


class RevalidateTarget(models.TextChoices):
    DRAFT = "draft", "The current draft"
    PUBLISHED = "published", "The current published version"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class InboxBatch(models.Model):
    """One bulk action over many failures, run by a Celery task; the inbox polls ``done``/``total``.

    ``failure_ids`` is fixed when the batch is created (a selection, or a group's open failures at that
    moment), so a failure that arrives later is not swept into an action nobody chose for it.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=BulkAction.choices)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    failure_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"failure": id, "message": ...}], capped
    new_runs = models.PositiveIntegerField(default=0)
    # Revalidation: which version it evaluated (each flow's draft at its ``draft_revisions`` entry) and
    # one result per failure (verdict, field, reason, the failed node's new input and its diff); a replay
    # of the passing ones names the revalidation it came from.
    target = models.CharField(max_length=10, choices=RevalidateTarget.choices, blank=True)
    draft_revisions = models.JSONField(default=dict, blank=True)  # flow id -> the draft revision evaluated
    results = models.JSONField(default=list, blank=True)
    source_batch = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"batch {self.pk} {self.action} {self.done}/{self.total}"
