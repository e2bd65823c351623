"""One module per system: ``SYSTEM`` and ``MAPPINGS = {entity: (source, to_canonical, from_canonical)}``."""
