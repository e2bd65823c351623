"""Single sign-on settings per organisation and request budgets (password resets)."""

from __future__ import annotations

from django.db import models

from flowbuilder.core.models import TimeStampedModel
from flowbuilder.tenancy.roles import Role


class OrganisationSSO(TimeStampedModel):
    """An organisation's OpenID Connect provider (set by its admins, or its partner's).

    The client secret is encrypted with the credentials vault and never leaves through the API
    (``client_secret_set`` says whether one is stored). ``role_mapping`` maps values of the
    ``role_claim`` claim (a string or a list, e.g. the IdP's groups) to roles; the strongest match wins,
    ``default_role`` applies when nothing matches (empty: such people are refused).
    """

    organisation = models.OneToOneField("tenancy.Organisation", on_delete=models.CASCADE, related_name="sso")
    enabled = models.BooleanField(default=True)
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_ciphertext = models.TextField(blank=True, default="")
    scopes = models.CharField(max_length=300, default="openid email profile")
    role_claim = models.CharField(max_length=100, blank=True, default="groups")
    role_mapping = models.JSONField(default=dict, blank=True)
    default_role = models.CharField(max_length=16, choices=Role.choices, blank=True, default="")
    create_users = models.BooleanField(default=True, help_text="Create people on their first sign-in.")
    sso_only = models.BooleanField(default=False, help_text="Refuse password sign-in for the members.")
    email_domains = models.JSONField(default=list, blank=True)
    login_host = models.CharField(max_length=253, blank=True, null=True, unique=True)
    button_label = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        verbose_name = "single sign-on configuration"

    def __str__(self) -> str:
        return f"SSO of {self.organisation} ({self.issuer})"

    @property
    def label(self) -> str:
        return self.button_label or f"Sign in with {self.organisation.name}"


class RequestBudget(models.Model):
    """How many requests one key (an address, an e-mail hash) made in the current window."""

    key = models.CharField(max_length=128, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.window_start:%H:%M:%S}"
