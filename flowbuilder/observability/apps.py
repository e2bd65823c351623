from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "flowbuilder.observability"
    label = "observability"
