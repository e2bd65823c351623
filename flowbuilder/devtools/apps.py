from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """The outermost layer: the demo tenant, the local process runner and service bootstrap."""

    name = "flowbuilder.devtools"
    label = "devtools"
