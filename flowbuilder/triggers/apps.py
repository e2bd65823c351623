from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "flowbuilder.triggers"
    label = "triggers"
    verbose_name = "Triggers (polling and schedules)"
