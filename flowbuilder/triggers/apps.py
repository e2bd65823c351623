from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "flowbuilder.triggers"
    label = "triggers"
    verbose_name = "Triggers (polling and schedules)"

    def ready(self) -> None:
        from django.conf import settings

        from connectors.polling import set_settle_margin

        set_settle_margin(settings.FLOWBUILDER_POLL_SETTLE_S)
        # flows sits below triggers and may not import it: publishing calls this through flows.hooks.
        from flowbuilder.flows.hooks import on_publish

        from .actions import sync_flow_triggers

        on_publish(sync_flow_triggers)
