"""Append-only, hash-chained audit trail: each row holds the previous row's hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """Every action the audit trail records: the one catalogue (writers, filters and the API schema)."""

    APPROVAL_REQUEST = "approval.request", "Approval requested"
    APPROVAL_DECIDE = "approval.decide", "Approval decided"
    APPROVAL_ESCALATE = "approval.escalate", "Approval escalated"
    APPROVAL_TIME_OUT = "approval.time_out", "Approval timed out"
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    AUTH_LOCKOUT = "auth.lockout", "Sign-in locked out"
    AUTH_UNLOCK = "auth.unlock", "Sign-in unlocked"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    BRANDING_SET = "branding.set", "Branding changed"
    CONNECTION_CREATE = "connection.create", "Connection created"
    CONNECTION_UPDATE = "connection.update", "Connection changed"
    CONNECTION_DELETE = "connection.delete", "Connection deleted"
    CONNECTION_TEST = "connection.test", "Connection tested"
    CONNECTION_USE = "connection.use", "Connection used"
    CONNECTION_SHARE = "connection.share", "Connection shared"
    CONNECTION_UNSHARE = "connection.unshare", "Connection unshared"
    CONNECTION_AUTHORIZE = "connection.authorize", "Connect started"
    CONNECTION_CONNECT = "connection.connect", "Connection authorised"
    CONNECTION_RECONNECT = "connection.reconnect_required", "Connection authorisation lapsed"
    CREDENTIALS_ROTATE_KEYS = "credentials.rotate_keys", "Vault keys rotated"
    FLOW_CREATE = "flow.create", "Flow created"
    FLOW_IMPORT = "flow.import", "Flow imported"
    FLOW_UPDATE = "flow.update", "Flow changed"
    FLOW_DELETE = "flow.delete", "Flow deleted"
    FLOW_SAVE_DRAFT = "flow.save_draft", "Draft saved"
    FLOW_PUBLISH = "flow.publish", "Flow published"
    FLOW_SHARE = "flow.share", "Flow shared"
    ALERT_RULE_SAVE = "alert_rule.save", "Alert rule saved"
    ALERT_RULE_DELETE = "alert_rule.delete", "Alert rule deleted"
    INCIDENT_ACKNOWLEDGE = "incident.acknowledge", "Incident acknowledged"
    INCIDENT_RESOLVE = "incident.resolve", "Incident resolved"
    INBOX_ASSIGN = "inbox.assign", "Failure assigned"
    INBOX_COMMENT = "inbox.comment", "Comment on a failure"
    INBOX_SNOOZE = "inbox.snooze", "Failure snoozed"
    INBOX_RESOLVE = "inbox.resolve", "Failure resolved"
    INBOX_BULK = "inbox.bulk", "Bulk action on failures started"
    MATCH_DECIDE = "match.decide", "Duplicate match decided"
    FLOW_PROMOTE = "flow.promote", "Flow version promoted to an environment"
    FLOW_REVIEW_SUBMIT = "flow.review_submit", "Flow version sent for review"
    FLOW_REVIEW_APPROVE = "flow.review_approve", "Flow version approved"
    FLOW_REVIEW_REJECT = "flow.review_reject", "Flow version rejected"
    FLOW_REVIEW_ASSIGN = "flow.review_assign", "Flow review assigned"
    AUDIT_EXPORT = "audit.export", "Audit trail exported"
    AUDIT_PRUNE = "audit.prune", "Audit trail pruned"
    KPI_SAVE = "kpi.save", "KPI saved"
    KPI_DELETE = "kpi.delete", "KPI deleted"
    KPI_COMPUTE = "kpi.compute", "KPIs recomputation requested"
    MEMBERSHIP_SET = "membership.set", "Role granted"
    RETENTION_SET = "retention.set", "Run-data retention changed"
    MEMBERSHIP_REMOVE = "membership.remove", "Member removed"
    ORGANISATION_CREATE = "organisation.create", "Organisation created"
    ORGANISATION_GOVERNANCE = "organisation.governance", "Governance settings changed"
    RECONCILIATION_SAVE = "reconciliation.save", "Reconciliation policy saved"
    RECONCILIATION_DELETE = "reconciliation.delete", "Reconciliation policy deleted"
    RECONCILIATION_RUN = "reconciliation.run", "Reconciliation report requested"
    RECONCILIATION_FIX = "reconciliation.fix", "Reconciliation fix job started"
    FLOW_UNSHARE = "flow.unshare", "Flow unshared"
    FLOW_PIN_DATA = "flow.pin_data", "Node data pinned"
    FLOW_UNPIN_DATA = "flow.unpin_data", "Node data unpinned"
    FLOW_RESTORE_VERSION = "flow.restore_version", "Version restored as draft"
    SSO_SET = "sso.set", "Single sign-on changed"
    SSO_REMOVE = "sso.remove", "Single sign-on removed"
    RUN_START = "run.start", "Run started"
    RUN_CANCEL = "run.cancel", "Run cancelled"
    RUN_RETRY = "run.retry", "Run retried"
    RUN_SKIP_NODE = "run.skip_node", "Failed node skipped"
    RUN_REPLAY = "run.replay", "Run replayed"
    RUN_RESUME = "run.resume", "Waiting step resumed by a callback"
    SLA_SAVE = "sla.save", "SLA policy saved"
    SLA_DELETE = "sla.delete", "SLA policy deleted"
    SLA_CALENDAR = "sla.calendar", "Business calendar changed"
    SYSTEMS_SAVE = "systems.save", "Business systems set"
    SYSTEMS_REFRESH = "systems.refresh", "Business records refresh requested"
    TEMPLATE_CREATE = "template.create", "Template created"
    TEMPLATE_PUBLISH = "template.publish", "Template published"
    TEMPLATE_CLONE = "template.clone", "Template cloned"
    TEMPLATE_UPGRADE = "template.upgrade", "Template copy upgraded"
    TEMPLATE_ROLLBACK = "template.rollback", "Template copy rolled back"
    TEMPLATE_PIN = "template.pin", "Template copy pinned"
    TEMPLATE_UNPIN = "template.unpin", "Template copy unpinned"
    TRIGGER_PAUSE = "trigger.pause", "Trigger paused"
    TRIGGER_RESUME = "trigger.resume", "Trigger resumed"
    TRIGGER_POLL_NOW = "trigger.poll_now", "Trigger polled now"
    USER_INVITE = "user.invite", "User invited"
    USER_DEACTIVATE = "user.deactivate", "User deactivated"
    USER_REACTIVATE = "user.reactivate", "User reactivated"


class AuditEvent(models.Model):
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        "tenancy.Organisation", null=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(max_length=80, choices=AuditAction.choices)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "-id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")


class AuditChainHead(models.Model):
    """One row that serialises appends: locked while a new event computes its hash."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash


class AuditAnchor(models.Model):
    """The chain's head as it was at ``at``: its newest row, that row's hash and how many rows led to it.

    The hash chain catches a changed row and a row removed from the middle, but not the newest rows
    deleted (the shorter chain is still a valid chain). Anchors live outside the event table and are
    written periodically (beat's ``audit.anchor``) and by ``manage.py audit_verify``; ``verify_chain``
    refuses a chain that no longer reaches every anchor.
    """

    at = models.DateTimeField()
    last_event_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    row_count = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} #{self.last_event_id} ({self.row_count} rows)"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit anchors are append-only")
        super().save(*args, **kwargs)


class AuditTombstone(models.Model):
    """What is left of a row pruned under an organisation's retention: its place in the chain.

    The content is gone, but the row's own hash and its link stay, so ``verify_chain`` still walks
    from the first row to the head: the rows kept are still proven, and a pruned row cannot be
    slipped back in changed (its hash would differ from the tombstone's).
    """

    event_id = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    organisation_id = models.BigIntegerField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    pruned_at = models.DateTimeField()

    class Meta:
        ordering = ["event_id"]

    def __str__(self) -> str:
        return f"pruned #{self.event_id}"
