from django.apps import AppConfig


class NodesConfig(AppConfig):
    name = "flowbuilder.nodes"
    label = "nodes"

    def ready(self) -> None:
        from .registry import load_registry

        load_registry()
