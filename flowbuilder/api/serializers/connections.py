"""Connections through the API: secrets are write-only. Responses say *which* secret fields are set,
never their values (not even masked or encrypted)."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.credentials.models import Connection, Environment

from .shapes import JSON_OBJECT, typed_json


class ConnectionSerializer(serializers.ModelSerializer):
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
        ]
        read_only_fields = fields


class ConnectionCreateSerializer(serializers.Serializer):
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


class ConnectionUpdateSerializer(serializers.Serializer):
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    name = serializers.CharField(max_length=200, required=False)
    base_url = serializers.CharField(max_length=2000, required=False)
    config = serializers.DictField(required=False)
    credential_type = serializers.CharField(max_length=100, required=False)
    credentials = serializers.DictField(
        required=False,
        help_text="Changed credential fields only: omitted secret fields keep their value, null clears one.",
    )


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    tested_at = serializers.DateTimeField()


# --- the connector registry (GET /api/connectors/: connectors.base Connector.describe()) ----------------


class CredentialTypeShape(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    schema = typed_json(JSON_OBJECT, help_text="JSON Schema of the credential fields.")
    secret_fields = serializers.ListField(
        child=serializers.CharField(), help_text="The properties marked writeOnly in schema."
    )

    class Meta:
        ref_name = "CredentialType"


class ConnectorActionShape(serializers.Serializer):
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


class ConnectorTriggerShape(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    config_schema = typed_json(JSON_OBJECT)
    output_schema = typed_json(JSON_OBJECT)
    default_interval_s = serializers.IntegerField()

    class Meta:
        ref_name = "ConnectorTrigger"


class ConnectorShape(serializers.Serializer):
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
