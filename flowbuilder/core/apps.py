from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "flowbuilder.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings

        from . import item_spool

        item_spool.SPOOL_AFTER = settings.FLOWBUILDER_SPOOL_AFTER_ITEMS
