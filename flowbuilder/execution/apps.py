from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "flowbuilder.execution"
    label = "execution"
