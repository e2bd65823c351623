"""Organisations (partners and their customers) and who belongs to them with which role."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from flowbuilder.core.models import TimeStampedModel

from .roles import Role


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/London).") from exc


class OrganisationKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    CUSTOMER = "customer", "Customer"


class Organisation(TimeStampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(
        max_length=16, choices=OrganisationKind.choices, default=OrganisationKind.CUSTOMER
    )
    # A customer's parent is the partner that serves it.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    # Hosts/networks outbound HTTP may reach although they are private (e.g. the sandbox systems).
    egress_allowlist = models.JSONField(default=list, blank=True)
    # Four-eyes publishing (flows.review): a publish becomes a review request; a partner's setting
    # applies to all its customers too (tenancy.governance.approval_policy).
    require_publish_approval = models.BooleanField(default=False)
    require_distinct_approver = models.BooleanField(default=False)
    # Environments (flows.environments): off, a flow has one live version (prod-like), as always. On,
    # a version is promoted dev -> test -> prod; names are the organisation's labels for the three.
    environments_enabled = models.BooleanField(default=False)
    environment_names = models.JSONField(default=dict, blank=True)
    prod_requires_test_run = models.BooleanField(default=False)
    # Days of audit trail kept (audit.retention); None keeps everything.
    audit_retention_days = models.PositiveIntegerField(null=True, blank=True)
    # Where the customer works: waits, schedules and business calendars use its clock and holidays.
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166-1 alpha-2, e.g. GB")

    class Meta:
        ordering = ["name"]

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone (UTC if the stored name is unknown on this machine)."""
        try:
            return ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user's role in one organisation. A deactivated membership grants nothing (it is kept, with who
    deactivated it and when, so it can be reactivated and its history read)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]
        ordering = ["organisation__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Branding(TimeStampedModel):
    """A partner's white label: its customers' users see this brand, never ours."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="branding")
    product_name = models.CharField(max_length=80)
    logo_url = models.CharField(max_length=500, blank=True)
    favicon_url = models.CharField(max_length=500, blank=True)
    primary_color = models.CharField(max_length=7, default="#4f46e5")
    accent_color = models.CharField(max_length=7, default="#0ea5e9")
    support_email = models.EmailField(blank=True)
    support_url = models.URLField(blank=True)
    login_text = models.CharField(max_length=300, blank=True)
    # Requests to this host name get the brand before anyone signs in (e.g. integrations.partner.com).
    host_name = models.CharField(max_length=253, blank=True, null=True, unique=True)

    def __str__(self) -> str:
        return f"{self.product_name} ({self.organisation})"
