from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "flowbuilder.audit"
    label = "audit"
