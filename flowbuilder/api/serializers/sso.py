"""An organisation's single sign-on settings (flowbuilder.identity); the client secret is write-only."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.tenancy.roles import Role

from .strict import StrictSerializer


class SSOSettingsSerializer(StrictSerializer):
    enabled = serializers.BooleanField(required=False)
    issuer = serializers.URLField(max_length=500, required=False, help_text="The provider's issuer URL.")
    client_id = serializers.CharField(max_length=255, required=False)
    client_secret = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only (encrypted in the vault): omit to keep the stored one, empty to remove it.",
        style={"input_type": "password"},
    )
    client_secret_set = serializers.BooleanField(read_only=True)
    scopes = serializers.CharField(max_length=300, required=False)
    role_claim = serializers.CharField(max_length=100, required=False, allow_blank=True)
    role_mapping = serializers.DictField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, help_text="Claim value -> role."
    )
    default_role = serializers.ChoiceField(
        choices=[("", "none (refuse)"), *Role.choices], required=False, allow_blank=True
    )
    create_users = serializers.BooleanField(required=False)
    sso_only = serializers.BooleanField(required=False)
    email_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=50
    )
    login_host = serializers.CharField(max_length=253, required=False, allow_blank=True, allow_null=True)
    button_label = serializers.CharField(max_length=80, required=False, allow_blank=True)
    callback_url = serializers.CharField(
        read_only=True, help_text="Register this redirect URI at the provider."
    )
