from django.apps import AppConfig


class CrossrefConfig(AppConfig):
    name = "flowbuilder.crossref"
    label = "crossref"
    verbose_name = "Cross-references (SyncLink)"
