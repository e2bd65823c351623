from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "flowbuilder.observability"
    label = "observability"

    def ready(self) -> None:
        from flowbuilder.crossref import hooks as crossref_hooks
        from flowbuilder.execution import hooks as execution_hooks

        from . import inbox_tasks, insight_tasks, trace  # noqa: F401  (the tasks modules register tasks)

        # The business transaction trace indexes the ids runs carry and the links nodes write.
        execution_hooks.on_run_started(trace.index_run)
        crossref_hooks.on_link(trace.index_link)
