"""Triggers that run on their own (polling and schedules) as operators see them."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.triggers.models import PollingState, TriggerHealth


class TriggerSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="flow.organisation_id", read_only=True)
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    node_label = serializers.SerializerMethodField()
    health = serializers.ChoiceField(choices=TriggerHealth.choices, read_only=True)
    paused_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    last_run = serializers.IntegerField(source="last_run_id", read_only=True, allow_null=True)

    class Meta:
        model = PollingState
        fields = [
            "id",
            "organisation",
            "flow",
            "flow_name",
            "node_id",
            "node_label",
            "node_type",
            "kind",
            "health",
            "paused_at",
            "paused_by",
            "interval_s",
            "next_poll_at",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "consecutive_failures",
            "last_run",
            "runs_started",
        ]
        read_only_fields = fields

    def get_node_label(self, state: PollingState) -> str:
        """The node's label in the published flow (its id when it has none or left the flow)."""
        version = state.flow.published_version
        for node in version.document.get("nodes", []) if version else []:
            if node.get("id") == state.node_id:
                return node.get("label") or state.node_id
        return state.node_id
