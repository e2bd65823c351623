from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "flowbuilder.api"
    label = "api"
