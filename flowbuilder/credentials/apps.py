from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "flowbuilder.credentials"
    label = "credentials"
