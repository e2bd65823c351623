from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "flowbuilder.core"
    label = "core"
