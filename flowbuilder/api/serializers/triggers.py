"""Triggers that run on their own (polling and schedules) as operators see them."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.triggers.models import PollingState, TriggerHealth, TriggerKind

from .strict import StrictModelSerializer, StrictSerializer


class TriggerSerializer(StrictModelSerializer):
    organisation = serializers.IntegerField(source="flow.organisation_id", read_only=True)
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    node_label = serializers.SerializerMethodField()
    cron = serializers.SerializerMethodField(
        help_text="A schedule's cron expression (organisation time zone); null otherwise."
    )
    health = serializers.ChoiceField(choices=TriggerHealth.choices, read_only=True)
    paused_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    last_run = serializers.IntegerField(source="last_run_id", read_only=True, allow_null=True)
    environment = serializers.CharField(
        read_only=True,
        help_text='Whose release the trigger fires: "prod" (the published version) or "dev"/"test".',
    )

    class Meta:
        model = PollingState
        fields = [
            "id",
            "organisation",
            "flow",
            "flow_name",
            "environment",
            "node_id",
            "node_label",
            "node_type",
            "kind",
            "cron",
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
            "duplicates_skipped",
            "echoes_skipped",
        ]
        read_only_fields = fields

    def get_node_label(self, state: PollingState) -> str:
        """The node's label in the published flow (its id when it has none or left the flow)."""
        return _published_node(state).get("label") or state.node_id

    def get_cron(self, state: PollingState) -> str | None:
        config = _published_node(state).get("config") or {}
        return (
            config.get("cron")
            if state.kind == TriggerKind.SCHEDULE and config.get("mode") == "cron"
            else None
        )


def _published_node(state: PollingState) -> dict:
    version = state.flow.published_version
    for node in version.document.get("nodes", []) if version else []:
        if node.get("id") == state.node_id:
            return node
    return {}


class ScheduleConfigSerializer(StrictSerializer):
    """A schedule trigger's config (as in the node), previewed for the flow's organisation."""

    mode = serializers.ChoiceField(choices=["interval", "cron"], default="interval")
    cron = serializers.CharField(required=False, allow_blank=True, max_length=200, default="0 * * * *")
    interval_s = serializers.IntegerField(required=False, min_value=1, max_value=31_536_000, default=3600)


class _ZonedDateTimeField(serializers.DateTimeField):
    """ISO 8601 with the value's own UTC offset (DRF would convert it to the server's zone)."""

    def to_representation(self, value):  # type: ignore[no-untyped-def]
        return value.isoformat()


class ScheduleTimeSerializer(StrictSerializer):
    local = _ZonedDateTimeField(help_text="In the organisation's time zone, with its UTC offset")
    utc = serializers.DateTimeField()


class SchedulePreviewSerializer(StrictSerializer):
    timezone = serializers.CharField(help_text="The organisation's time zone, e.g. Europe/Berlin")
    times = ScheduleTimeSerializer(many=True)
