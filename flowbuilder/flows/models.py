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


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Flow(TimeStampedModel):
    # What a share can grant beyond the recipient's role (tenancy.sharing, django-guardian).
    share_permissions = ("view", "change", "run", "publish")

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

    # Operations: how much a failure matters, how many runs may overlap, what starts when a run fails.
    criticality = models.CharField(max_length=16, choices=Criticality.choices, default=Criticality.NORMAL)
    max_concurrent_runs = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many runs at once; more wait queued. Empty: no limit."
    )
    error_flow = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Started with the failure when a run of this flow fails finally.",
    )
    # The organisation's default error flow (for flows without their own): at most one per organisation.
    is_default_error_flow = models.BooleanField(default=False)

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        permissions = [("run_flow", "Can run flow"), ("publish_flow", "Can publish flow")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_default_error_flow=True),
                name="one_default_error_flow_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        return "published" if self.published_version_id else "draft"


class VersionState(models.TextChoices):
    # Four-eyes publishing (flows.review): in review -> approved -> published, or rejected.
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
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
    # Review (flows.review): why it was asked for, who decided, when and why; the older version a
    # rollback restores; when its author saw the decision (the in-app indicator).
    review_origin = models.CharField(max_length=16, blank=True, default="")
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    author_seen_at = models.DateTimeField(null=True, blank=True)
    # Who is asked to decide the review (flows.review.assign); empty: every approver but the author.
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # The environment the version was made for (flows.environments): "dev" or "test" by promotion,
    # "prod" when published with environments on; "" without environments and for test snapshots.
    # Set once, like the document: a run's environment is its version's.
    environment = models.CharField(max_length=8, blank=True, default="")

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


class Release(models.Model):
    """Which version is live in one environment of the flow's organisation (flows.environments).

    The prod release is also ``Flow.published_version``. Each release's triggers fire in its own
    environment (``triggers.actions.sync_flow_triggers`` keeps one trigger row per environment; dev and
    test webhooks listen at ``/hooks/<token>/<environment>/``).
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="releases")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=8)
    version = models.ForeignKey(FlowVersion, on_delete=models.CASCADE, related_name="releases")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField()

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["flow_id", "environment"]
        constraints = [models.UniqueConstraint(fields=["flow", "environment"], name="one_release_per_env")]

    def __str__(self) -> str:
        return f"{self.flow_id} {self.environment} v{self.version_id}"


# --- partner templates --------------------------------------------------------------------------------


class Template(TimeStampedModel):
    """A partner's reusable flow; its versions are cloned into the partner's customers."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="templates", help_text="The partner."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    source_flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """Immutable: a published template document with its declared parameters (connection slots by
    connector key, overridable values addressed by JSON pointer). Scrubbed of connections and secrets."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    parameters = models.JSONField(default=list, blank=True)
    changelog = models.TextField(blank=True)
    source_version = models.ForeignKey(
        FlowVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FlowQuerySet.as_manager()

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="one_number_per_template")]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Template versions are immutable; publish a new version instead.")
        super().save(*args, **kwargs)


class TemplateInstance(TimeStampedModel):
    """A customer's copy of a template: its flow, the version it is based on and its parameter values.

    ``parameter_values`` never holds secrets: connection slots hold the customer's own connection ids
    (or ``None``, unbound). ``rendered_document`` is what the template produced for this customer (the
    merge base of the next upgrade and the reference for drift); ``previous_*`` keep the state before
    the last upgrade for a rollback.
    """

    tenant_field = "customer"

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="instances")
    customer = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    flow = models.OneToOneField(Flow, on_delete=models.CASCADE, related_name="template_instance")
    based_on = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="instances")
    pinned = models.BooleanField(default=False)
    parameter_values = models.JSONField(default=dict, blank=True)
    rendered_document = models.JSONField(default=empty_document)
    previous_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_document = models.JSONField(null=True, blank=True)
    previous_rendered_document = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template_id", "customer__name", "id"]

    def __str__(self) -> str:
        return f"{self.template_id} @ {self.customer_id}"


# --- pinned data ---------------------------------------------------------------------------------------


class PinnedData(models.Model):
    """Sample items pinned on one node of a flow's draft, as n8n's pinned data: they stand in for the
    node's output in the editor's previews, mapping sources and "run this node". They belong to the
    draft only; published runs never read them (``flowbuilder.triggers.manual`` applies them to draft
    test runs alone)."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="pins")
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    node_id = models.CharField(max_length=100)
    items = models.JSONField(default=list)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["node_id"]
        constraints = [models.UniqueConstraint(fields=["flow", "node_id"], name="one_pin_per_node")]

    def __str__(self) -> str:
        return f"{self.flow_id}:{self.node_id}"
