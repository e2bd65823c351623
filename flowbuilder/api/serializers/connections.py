"""Connections through the API: secrets are write-only. Responses say *which* secret fields are set,
never their values (not even masked or encrypted)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.credentials.models import Connection, Environment

from .shapes import JSON_OBJECT, typed_json
from .strict import StrictModelSerializer, StrictSerializer


class ApiUsageShape(StrictSerializer):
    used = serializers.IntegerField(help_text="API requests used in the system's current window.")
    limit = serializers.IntegerField(help_text="The allowance of that window.")
    at = serializers.DateTimeField(help_text="When a response last reported it.")

    class Meta:
        ref_name = "ApiUsage"


class ConnectionSerializer(StrictModelSerializer):
    ref = serializers.CharField(read_only=True)
    secrets_set = serializers.ListField(
        source="secret_fields_set", child=serializers.CharField(), read_only=True
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    config = typed_json(JSON_OBJECT, read_only=True, help_text="Non-secret connector settings.")
    credentials = typed_json(
        JSON_OBJECT,
        read_only=True,
        help_text="Non-secret credential fields (client id, user name, token URL).",
    )
    api_usage = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = [
            "id",
            "ref",
            "organisation",
            "environment",
            "name",
            "connector",
            "base_url",
            "config",
            "credential_type",
            "credentials",
            "secrets_set",
            "created_by",
            "created_at",
            "updated_at",
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "auth_state",
            "auth_state_message",
            "connected_at",
            "credential_expires_at",
            "api_usage",
        ]
        read_only_fields = fields

    @extend_schema_field(ApiUsageShape(allow_null=True))
    def get_api_usage(self, obj: Connection) -> dict | None:
        if obj.api_usage_at is None or obj.api_usage_limit is None:
            return None
        return {"used": obj.api_usage_used or 0, "limit": obj.api_usage_limit, "at": obj.api_usage_at}


class ConnectionCreateSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.DEV)
    name = serializers.CharField(max_length=200)
    connector = serializers.CharField(max_length=100)
    base_url = serializers.CharField(max_length=2000)
    config = serializers.DictField(required=False, default=dict)
    credential_type = serializers.CharField(max_length=100)
    credentials = serializers.DictField(
        required=False,
        default=dict,
        help_text="All credential fields; secret ones (writeOnly in the type's schema) are stored encrypted "
        "and never returned.",
    )


class ConnectionUpdateSerializer(StrictSerializer):
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    name = serializers.CharField(max_length=200, required=False)
    base_url = serializers.CharField(max_length=2000, required=False)
    config = serializers.DictField(required=False)
    credential_type = serializers.CharField(max_length=100, required=False)
    credentials = serializers.DictField(
        required=False,
        help_text="Changed credential fields only: omitted secret fields keep their value, null clears one.",
    )
    confirm_host_change = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Admins only: keep the stored secrets although the change sends them to a new host "
        "(otherwise the secrets must be entered again).",
    )


class ConnectionAuthorizeSerializer(StrictSerializer):
    authorize_url = serializers.URLField(help_text="Send the browser here; the system asks for consent.")
    expires_at = serializers.DateTimeField(help_text="Complete the consent before this time.")


class ConnectionTestSerializer(StrictSerializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    tested_at = serializers.DateTimeField()


# --- the connector registry (GET /api/connectors/: connectors.base Connector.describe()) ----------------


class CredentialTypeShape(StrictSerializer):
    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    schema = typed_json(JSON_OBJECT, help_text="JSON Schema of the credential fields.")
    secret_fields = serializers.ListField(
        child=serializers.CharField(), help_text="The properties marked writeOnly in schema."
    )
    connect = serializers.BooleanField(
        help_text="Authorised with the Connect button (OAuth consent in the browser), not typed in."
    )

    class Meta:
        ref_name = "CredentialType"


class ConnectorActionShape(StrictSerializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    writes = serializers.BooleanField(help_text="Side effects in the remote system.")
    mode = serializers.ChoiceField(choices=["item", "batch"])
    batch_size = serializers.IntegerField()
    input_schema = typed_json(JSON_OBJECT)
    output_schema = typed_json(JSON_OBJECT)

    class Meta:
        ref_name = "ConnectorAction"


class ConnectorTriggerShape(StrictSerializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    config_schema = typed_json(JSON_OBJECT)
    output_schema = typed_json(JSON_OBJECT)
    default_interval_s = serializers.IntegerField()

    class Meta:
        ref_name = "ConnectorTrigger"


class ConnectorShape(StrictSerializer):
    key = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    icon = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    config_schema = typed_json(JSON_OBJECT, help_text="JSON Schema of the connection's settings.")
    credential_types = CredentialTypeShape(many=True)
    actions = ConnectorActionShape(many=True)
    triggers = ConnectorTriggerShape(many=True)

    class Meta:
        ref_name = "Connector"
