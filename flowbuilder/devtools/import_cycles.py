"""Fail on any import cycle among our modules (``make lint``); imports inside functions count.

import-linter's contracts check direction between layers, not cycles inside a package. A cycle kept alive
only by an import inside a function still couples the two modules both ways, so this check counts every
import grimp finds (the graph import-linter itself builds), then reports each strongly connected component.
Imports under ``if TYPE_CHECKING:`` are left out: they exist for annotations only and never run, so
they cannot make a module half-initialised (the import-linter contracts still count them).
"""

from __future__ import annotations

import importlib.util
import sys

import grimp
import networkx as nx

PACKAGES = ("flowbuilder", "connectors", "sandbox")


def find_cycles(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    present = tuple(p for p in packages if importlib.util.find_spec(p) is not None)
    graph = grimp.build_graph(*present, exclude_type_checking_imports=True)
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            imports.add_edge(module, imported)
    return sorted(sorted(c) for c in nx.strongly_connected_components(imports) if len(c) > 1)


def main() -> int:
    cycles = find_cycles()
    for cycle in cycles:
        print("import cycle: " + " <-> ".join(cycle))
    if cycles:
        print(f"{len(cycles)} import cycle(s): break them (see docs/architecture.md, 'No import cycles').")
        return 1
    print("no import cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
