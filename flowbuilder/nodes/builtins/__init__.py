"""Built-in node types. Importing this package registers them (see registry.load_registry)."""

from . import (  # noqa: F401  (registers on import)
    aggregate,
    batching,
    canonical,
    crossref,
    crossref_lookup,
    filtering,
    flow_control,
    http_request,
    logic,
    mapping,
    ordering,
    triggers,
)
