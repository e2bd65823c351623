"""SyncLink: one row per (organisation, entity, system, external id), grouped by a canonical id.

All rows of one ``canonical_id`` are the same real-world thing (one customer) in different systems:
``(acme, customer, U, salesforce, 001A)`` and ``(acme, customer, U, netsuite, 812)``. The two unique
constraints make the store a bijection per system: an external id belongs to one canonical record, and
a canonical record has at most one id per system. They are also what makes concurrent upserts safe.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SyncLink(models.Model):
    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=64, help_text="customer, project, invoice, ...")
    canonical_id = models.UUIDField(default=uuid.uuid4)
    system = models.CharField(max_length=64, help_text="salesforce, netsuite, kantata, ...")
    external_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "entity", "system", "external_id"], name="synclink_external_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "entity", "canonical_id", "system"], name="synclink_one_per_system"
            ),
        ]
        ordering = ["organisation_id", "entity", "canonical_id", "system"]

    def __str__(self) -> str:
        return f"{self.entity} {self.canonical_id} = {self.system}:{self.external_id}"


class WriteMark(models.Model):
    """A record one of our flows wrote: the change event it causes in the system is our echo, not news.

    ``version`` (and ``modified_at`` when it is a time) is what the system answered the write with; when
    it answered without one, ``written_at`` (our clock, right after the answer) stands in and a polled
    change within a few seconds of it counts as ours. Marks expire; the prune task deletes them.
    """

    tenant_field = "organisation"

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=64, help_text="the connector: salesforce, netsuite, ...")
    object = models.CharField(max_length=100, help_text="lower case: opportunity, customer, workspaces, ...")
    record_id = models.CharField(max_length=255)
    version = models.CharField(max_length=64, blank=True, default="")
    modified_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The flow whose run wrote it (an id, not a key: flows sit above crossref). Only that flow's trigger
    # ignores the change; the next flow of a lifecycle (billing to cash after project to billing) must see
    # it. Null: written outside a flow's run, an echo for every flow.
    flow_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "system", "record_id"], name="writemark_record"),
            models.Index(fields=["expires_at"], name="writemark_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.object} {self.record_id} written {self.written_at:%Y-%m-%d %H:%M:%S}"


class MatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a person"
    LINKED = "linked", "Linked to an existing record"
    CREATED = "created", "Create a new record"


class MatchReview(models.Model):
    """A source record the match node could not place on its own: it looks like (not is) a record the
    target system already has. A person decides: *link* to one candidate (writes the SyncLink) or *create*
    a new one (kept here, so the same source record never comes back to review). The match node reads the
    decision on the next poll or a replay of the held item.

    One row per (organisation, entity, source record, target system): a record seen again while pending
    refreshes its snapshot and candidates instead of queueing a second review.
    """

    tenant_field = "organisation"

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=64, default="customer")
    source_system = models.CharField(max_length=64)
    source_id = models.CharField(max_length=255)
    target_system = models.CharField(max_length=64)
    source = models.JSONField(default=dict, help_text="the source record as the node saw it (canonical)")
    candidates = models.JSONField(
        default=list, help_text="[{id, record, verdict, score, reasons, fields}], best first"
    )
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=MatchStatus.PENDING)
    target_id = models.CharField(max_length=255, blank=True, help_text="the linked record (status linked)")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Where the item was held (ids, not keys: execution and flows sit above crossref).
    run_id = models.BigIntegerField(null=True, blank=True)
    flow_id = models.BigIntegerField(null=True, blank=True)
    node_id = models.CharField(max_length=100, blank=True)
    item_index = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "entity", "source_system", "source_id", "target_system"],
                name="matchreview_one_per_source",
            )
        ]
        indexes = [models.Index(fields=["organisation", "status", "-id"], name="matchreview_org_status")]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_system}:{self.source_id} -> {self.target_system} ({self.status})"
