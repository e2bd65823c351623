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
