from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "flowbuilder.web"
    label = "web"
