"""Built-in node types, one module per family. ``flowbuilder.nodes.registry.BUILTIN_NODE_TYPES`` lists
the classes the registry loads; importing a module here registers nothing."""
