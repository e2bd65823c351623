"""Pure graph diff of two flow documents (no ORM).

``diff_documents(old, new)`` says which nodes were added, removed or changed (each change a path, the old
and the new value) and which edges were added or removed. The result is plain JSON, ordered the way the
documents are (stable), so it can be stored, sent to the editor and compared in tests.

Paths are JSON pointers (RFC 6901 escaping) with one twist shared with templates and the merge: the
segment after ``/nodes`` (and ``/edges``) is the node's *id*, not its index, because ids survive
reordering and indexes do not. ``/nodes/n2/config/fields`` is node ``n2``'s ``config.fields``.

Lists inside a node (mapping rows, headers) are compared as whole values; dicts are compared key by key.
"""

from __future__ import annotations

import copy
from typing import Any


class _Missing:
    """Marks "no value here" (a key absent on one side); never leaks into results (shown as ``None``)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: dict) -> _Missing:
        return self


MISSING: Any = _Missing()


# --- JSON pointers ------------------------------------------------------------------------------------


def escape(segment: Any) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def join(*segments: Any) -> str:
    return "".join(f"/{escape(s)}" for s in segments)


def split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer (it must start with '/').")
    return [unescape(s) for s in pointer[1:].split("/")]


def _step(container: Any, segment: str, list_key: str | None) -> tuple[Any, Any]:
    """The child of ``container`` named by ``segment`` and how to address it (key or index)."""
    if isinstance(container, dict):
        return container.get(segment, MISSING), segment
    if isinstance(container, list):
        if list_key is not None:
            for i, item in enumerate(container):
                if isinstance(item, dict) and str(item.get(list_key)) == segment:
                    return item, i
            return MISSING, None
        if segment.isdigit() and int(segment) < len(container):
            return container[int(segment)], int(segment)
    return MISSING, None


def _list_key(parent_segments: list[str]) -> str | None:
    """``/nodes/<id>`` and ``/edges/<id>`` address list items by id."""
    return "id" if len(parent_segments) == 1 and parent_segments[0] in ("nodes", "edges") else None


def get_at(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` or ``MISSING``."""
    current = document
    segments = split(pointer)
    for i, segment in enumerate(segments):
        current, _ = _step(current, segment, _list_key(segments[:i]))
        if current is MISSING:
            return MISSING
    return current


def set_at(document: Any, pointer: str, value: Any) -> None:
    """Set (or, with ``MISSING``, delete) the value at ``pointer``; parents must exist."""
    segments = split(pointer)
    if not segments:
        raise ValueError("Cannot replace the whole document through a pointer.")
    parent = document
    for i, segment in enumerate(segments[:-1]):
        parent, _ = _step(parent, segment, _list_key(segments[:i]))
        if parent is MISSING:
            raise KeyError(pointer)
    last = segments[-1]
    if isinstance(parent, dict):
        if value is MISSING:
            parent.pop(last, None)
        else:
            parent[last] = value
        return
    _, index = _step(parent, last, _list_key(segments[:-1]))
    if index is None:
        raise KeyError(pointer)
    if value is MISSING:
        del parent[index]
    else:
        parent[index] = value


# --- strict JSON equality -----------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """JSON equality: ``1``, ``1.0`` and ``True`` are different values here (they are in JSON)."""
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return type(a) is type(b) and a == b
    return type(a) is type(b) and a == b


def plain(value: Any) -> Any:
    """``MISSING`` -> ``None``; everything else deep-copied (results never alias the inputs)."""
    return None if value is MISSING else copy.deepcopy(value)


# --- documents ----------------------------------------------------------------------------------------


def nodes_by_id(document: Any) -> dict[str, dict]:
    nodes = document.get("nodes") if isinstance(document, dict) else None
    return {str(n["id"]): n for n in nodes or [] if isinstance(n, dict) and "id" in n}


def edge_key(edge: dict) -> tuple[str, str, str, str]:
    """An edge is what it connects; its id is a label."""
    return (
        str(edge.get("source")),
        str(edge.get("source_port", "main")),
        str(edge.get("target")),
        str(edge.get("target_port", "main")),
    )


def edges_by_key(document: Any) -> dict[tuple[str, str, str, str], dict]:
    edges = document.get("edges") if isinstance(document, dict) else None
    return {edge_key(e): e for e in edges or [] if isinstance(e, dict)}


def value_changes(old: Any, new: Any, path: str) -> list[dict[str, Any]]:
    """Leaf changes from ``old`` to ``new`` below ``path``: dicts key by key, anything else whole."""
    if same(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[dict[str, Any]] = []
        for key in [*old, *(k for k in new if k not in old)]:
            changes.extend(
                value_changes(old.get(key, MISSING), new.get(key, MISSING), f"{path}/{escape(key)}")
            )
        return changes
    op = "add" if old is MISSING else "remove" if new is MISSING else "replace"
    return [{"path": path, "op": op, "old": plain(old), "new": plain(new)}]


def _node_summary(node: dict) -> dict[str, Any]:
    return {"id": node.get("id"), "type": node.get("type"), "label": node.get("label")}


def _edge_summary(edge: dict) -> dict[str, Any]:
    source, source_port, target, target_port = edge_key(edge)
    return {
        "id": edge.get("id"),
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def diff_documents(old: Any, new: Any) -> dict[str, Any]:
    """What changed from ``old`` to ``new``; see the module docstring. ``is_empty(diff)`` when identical."""
    old_nodes, new_nodes = nodes_by_id(old), nodes_by_id(new)
    added = [_node_summary(n) for nid, n in new_nodes.items() if nid not in old_nodes]
    removed = [_node_summary(n) for nid, n in old_nodes.items() if nid not in new_nodes]
    changed = []
    for nid, before in old_nodes.items():
        after = new_nodes.get(nid)
        if after is None:
            continue
        changes = value_changes(before, after, join("nodes", nid))
        if changes:
            changed.append({**_node_summary(after), "changes": changes})
    old_edges, new_edges = edges_by_key(old), edges_by_key(new)
    other: list[dict[str, Any]] = []
    old_doc = old if isinstance(old, dict) else {}
    new_doc = new if isinstance(new, dict) else {}
    for key in [*old_doc, *(k for k in new_doc if k not in old_doc)]:
        if key not in ("nodes", "edges"):
            other.extend(value_changes(old_doc.get(key, MISSING), new_doc.get(key, MISSING), join(key)))
    result = {
        "nodes_added": added,
        "nodes_removed": removed,
        "nodes_changed": changed,
        "edges_added": [_edge_summary(e) for k, e in new_edges.items() if k not in old_edges],
        "edges_removed": [_edge_summary(e) for k, e in old_edges.items() if k not in new_edges],
        "document_changes": other,
    }
    result["summary"] = {
        "nodes_added": len(added),
        "nodes_removed": len(removed),
        "nodes_changed": len(changed),
        "edges_added": len(result["edges_added"]),
        "edges_removed": len(result["edges_removed"]),
        "fields_changed": sum(len(c["changes"]) for c in changed) + len(other),
    }
    return result


def is_empty(diff: dict[str, Any]) -> bool:
    return not any(v for k, v in diff.items() if k != "summary")
