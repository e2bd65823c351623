"""Alert rules and incidents over the API (``observability.alerts`` validates and does the work)."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.observability.alert_models import AlertDelivery, AlertKind, AlertRule, ChannelKind, Incident

from .strict import StrictModelSerializer, StrictSerializer


class ChannelSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    target = serializers.CharField(max_length=500, help_text="An e-mail address, or the webhook URL.")


class AlertRuleSerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    channels = ChannelSerializer(many=True)
    escalation_channels = ChannelSerializer(many=True, required=False)
    params = serializers.JSONField(required=False)

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "organisation",
            "name",
            "kind",
            "params",
            "channels",
            "escalation_channels",
            "escalate_after_minutes",
            "quiet_start",
            "quiet_end",
            "timezone",
            "enabled",
            "last_evaluated_at",
            "created_at",
        ]
        read_only_fields = ["id", "last_evaluated_at", "created_at"]


class DeliverySerializer(StrictModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = ["id", "channel", "target", "escalation", "ok", "error", "at"]


class IncidentSerializer(StrictModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "rule",
            "rule_name",
            "organisation",
            "organisation_name",
            "key",
            "title",
            "detail",
            "status",
            "occurrences",
            "opened_at",
            "last_seen_at",
            "notified_at",
            "escalated_at",
            "acknowledged_at",
            "resolved_at",
            "deliveries",
        ]
        read_only_fields = fields


class RetentionSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    run_days = serializers.IntegerField(min_value=0, max_value=3650, help_text="0 keeps run data forever.")
    failed_run_days = serializers.IntegerField(min_value=0, max_value=3650)
    last_pruned_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_runs_deleted = serializers.IntegerField(read_only=True)
    last_bytes_saved = serializers.IntegerField(
        read_only=True, help_text="Database size the last pruning saved."
    )
