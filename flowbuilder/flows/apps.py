from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flowbuilder.flows"
    label = "flows"
