from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "flowbuilder.realtime"
    label = "realtime"
