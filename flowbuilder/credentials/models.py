"""Connections: a configured, credentialed link from one organisation to one external system.

Non-secret settings (base URL, connector config, non-secret credential fields such as a client id) are
plain columns. Secret credential fields (the credential type's ``writeOnly`` fields) live only in
``secrets_ciphertext``, encrypted by :mod:`flowbuilder.credentials.vault`; ``secret_fields_set`` lists
their *names* so the API can say which are set without decrypting anything.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from flowbuilder.core.models import TimeStampedModel


class Environment(models.TextChoices):
    DEV = "dev", "Development"
    TEST = "test", "Test"
    PROD = "prod", "Production"


class AuthState(models.TextChoices):
    """Where a connection's authorisation stands. Typed-in credentials are ``ok``; a Connect
    (authorization code) type starts ``not_connected``, is ``connected`` after consent, and becomes
    ``reconnect`` when the grant lapses (refresh token expired or revoked): only a person can fix that."""

    OK = "ok", "Credentials entered"
    NOT_CONNECTED = "not_connected", "Not connected yet"
    CONNECTED = "connected", "Connected"
    RECONNECT = "reconnect", "Reconnect needed"


class Connection(TimeStampedModel):
    # What a share can grant beyond the recipient's role (tenancy.sharing, django-guardian).
    share_permissions = ("view", "change")

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="connections"
    )
    environment = models.CharField(max_length=8, choices=Environment.choices, default=Environment.DEV)
    name = models.CharField(max_length=200)
    connector = models.CharField(max_length=100, help_text="Connector key from the connector registry.")
    base_url = models.CharField(max_length=2000)
    config = models.JSONField(default=dict, blank=True, help_text="Non-secret connector settings.")
    credential_type = models.CharField(max_length=100)
    credentials = models.JSONField(
        default=dict, blank=True, help_text="Non-secret credential fields (client id, user name, token URL)."
    )
    secrets_ciphertext = models.TextField(blank=True, default="")
    secret_fields_set = models.JSONField(default=list, blank=True)
    # Bumped whenever the secrets change (edit, rotated refresh token): worker caches key on it.
    secrets_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_message = models.CharField(max_length=500, blank=True, default="")
    auth_state = models.CharField(max_length=16, choices=AuthState.choices, default=AuthState.OK)
    auth_state_message = models.CharField(max_length=500, blank=True, default="")
    connected_at = models.DateTimeField(null=True, blank=True, help_text="Last successful Connect.")
    # When the stored grant stops working, where the system says (NetSuite refresh tokens): alerts warn
    # before it, and the connection page shows it.
    credential_expires_at = models.DateTimeField(null=True, blank=True)
    # The system's API usage as its responses report it (Salesforce Sforce-Limit-Info), written at
    # most once a minute.
    api_usage_used = models.PositiveIntegerField(null=True, blank=True)
    api_usage_limit = models.PositiveIntegerField(null=True, blank=True)
    api_usage_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "name", "environment"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "environment", "name"], name="connection_name_unique_per_env"
            )
        ]
        indexes = [models.Index(fields=["organisation", "connector"], name="connection_org_connector")]

    def __str__(self) -> str:
        return f"{self.name} ({self.connector}, {self.environment})"

    def __repr__(self) -> str:  # never show secrets, not even encrypted
        return f"<Connection {self.pk} {self.connector} org={self.organisation_id}>"

    @property
    def ref(self) -> str:
        """How flow documents name the connection (``config.connection``)."""
        return f"conn_{self.pk}"

    def runtime_config(self) -> dict:
        return {**(self.config or {}), "base_url": self.base_url}


class ConnectionUse(models.Model):
    """First use of a connection by a run: makes the "credential use" audit row at most once per run."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="uses")
    run_id = models.BigIntegerField()
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "run_id"], name="connection_use_once_per_run")
        ]

    def __str__(self) -> str:
        return f"connection {self.connection_id} used by run {self.run_id}"


class PendingAuthorization(models.Model):
    """A Connect in progress: created when a person clicks Connect, consumed by the callback (single use),
    bound to that person and connection, and short-lived. Only a hash of ``state`` is stored (the state
    itself travels in the browser's URL); the PKCE verifier is encrypted like every secret."""

    tenant_field = "connection__organisation"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="pending_authorizations"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state_hash = models.CharField(max_length=64, unique=True)
    verifier_ciphertext = models.TextField()
    redirect_uri = models.CharField(max_length=2000)
    # Where the code will be exchanged, fixed when Connect was clicked: a connection edited meanwhile
    # does not get its code sent somewhere else.
    token_url = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="pending_authorization_expiry")]

    def __str__(self) -> str:
        return f"pending authorization of connection {self.connection_id}"

    def __repr__(self) -> str:
        return f"<PendingAuthorization {self.pk} connection={self.connection_id}>"
