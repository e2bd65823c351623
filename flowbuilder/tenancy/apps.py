from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "flowbuilder.tenancy"
    label = "tenancy"
