"""Flows and their immutable versions. The graph document is the shape the editor uses."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from flowbuilder.core.models import TimeStampedModel


def empty_document() -> dict:
    return {"schema_version": 1, "nodes": [], "edges": []}


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class FlowQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> FlowQuerySet:
        from flowbuilder.tenancy.permissions import restrict

        return restrict(self, user, action)


class Flow(TimeStampedModel):
    guardian_shareable = True

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The working copy; saved with optimistic concurrency on draft_revision.
    draft_document = models.JSONField(default=empty_document)
    draft_revision = models.PositiveIntegerField(default=1)
    draft_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    draft_saved_at = models.DateTimeField(null=True)
    published_version = models.ForeignKey(
        "flows.FlowVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    # Shared secret for optional HMAC signatures on webhook calls.
    webhook_secret = models.CharField(max_length=64, default=new_webhook_token)

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        permissions = [("run_flow", "Can run flow"), ("publish_flow", "Can publish flow")]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        return "published" if self.published_version_id else "draft"


class VersionState(models.TextChoices):
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    SNAPSHOT = "snapshot", "Test snapshot"  # a draft frozen for a test run from the editor


class FlowVersion(models.Model):
    """Immutable: a version's document and plan never change once written."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=VersionState.choices, default=VersionState.PUBLISHED)
    document = models.JSONField()
    plan = models.JSONField()
    comment = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        # Test snapshots are numbered 0 and do not take a version number.
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "number"],
                condition=~models.Q(state="snapshot"),
                name="one_number_per_flow",
            )
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"
