from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "flowbuilder.triggers"
    label = "triggers"
    verbose_name = "Triggers (polling and schedules)"

    def ready(self) -> None:
        # flows sits below triggers and may not import it: publishing calls this through flows.hooks.
        from flowbuilder.flows.hooks import on_publish

        from .actions import sync_flow_triggers

        on_publish(sync_flow_triggers)
