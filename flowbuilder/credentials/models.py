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


class Connection(TimeStampedModel):
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
