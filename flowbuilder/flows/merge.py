"""Pure three-way merge of flow documents (no ORM).

``merge_documents(base, ours, theirs)``: ``base`` is what the template produced when the customer's copy
was made, ``ours`` the customer's copy now (their overrides), ``theirs`` what the new template version
produces. Nodes are matched by id and merged field by field (dicts key by key, lists and scalars whole);
edges are matched by what they connect.

* a change on one side wins; the same change on both sides is fine;
* different changes to the same field are a conflict (node, path, base/ours/theirs) and the merged
  document keeps OURS there until a resolution says otherwise;
* nodes and edges added on either side are kept; a node removed on one side and changed on the other is a
  conflict (again OURS is kept);
* edges left pointing at a node that is gone are dropped and reported in ``warnings``;
* ``groups`` (presentation, like node positions) are matched by id and merged field by field, except
  their member lists, which merge as sets (a node added to a group on one side and another node on the
  other side: both are in); members whose node is gone, nodes claimed by two groups (the first keeps
  them) and groups left empty are dropped and reported in ``warnings``.

``resolutions`` maps a conflict's path to ``"ours"``, ``"theirs"``, ``"base"`` or ``{"value": ...}``; a
resolved conflict is listed in ``resolved`` instead of ``conflicts``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from .graph_diff import MISSING, edge_key, escape, join, plain, same

CHOICES = ("ours", "theirs", "base")


@dataclass
class MergeResult:
    document: dict[str, Any]
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "conflicts": self.conflicts,
            "resolved": self.resolved,
            "warnings": self.warnings,
        }


class _Merger:
    def __init__(self, resolutions: dict[str, Any] | None) -> None:
        self.resolutions = resolutions or {}
        self.conflicts: list[dict[str, Any]] = []
        self.resolved: list[dict[str, Any]] = []
        self.warnings: list[str] = []

    def conflict(self, kind: str, path: str, node: str | None, base: Any, ours: Any, theirs: Any) -> Any:
        record = {
            "kind": kind,
            "node": node,
            "path": path,
            "base": plain(base),
            "ours": plain(ours),
            "theirs": plain(theirs),
        }
        choice = self.resolutions.get(path)
        if choice is None:
            self.conflicts.append(record)
            return ours
        if isinstance(choice, dict) and "value" in choice:
            value = choice["value"]
        elif choice in CHOICES:
            value = {"ours": ours, "theirs": theirs, "base": base}[choice]
        else:
            raise ValueError(f"Resolution for {path} must be one of {CHOICES} or {{'value': ...}}.")
        self.resolved.append({**record, "resolution": choice if isinstance(choice, str) else "value"})
        return copy.deepcopy(value)

    def value(self, base: Any, ours: Any, theirs: Any, path: str, node: str | None) -> Any:
        """Merge one value; ``MISSING`` means absent (and, returned, "leave it out")."""
        if same(ours, theirs) or same(theirs, base):
            return copy.deepcopy(ours)
        if same(ours, base):
            return copy.deepcopy(theirs)
        if (
            isinstance(ours, dict)
            and isinstance(theirs, dict)
            and (base is MISSING or isinstance(base, dict))
        ):
            base_dict = base if isinstance(base, dict) else {}
            merged: dict[str, Any] = {}
            for key in _union_order(list(base_dict), list(ours), list(theirs)):
                v = self.value(
                    base_dict.get(key, MISSING),
                    ours.get(key, MISSING),
                    theirs.get(key, MISSING),
                    f"{path}/{escape(key)}",
                    node,
                )
                if v is not MISSING:
                    merged[key] = v
            return merged
        return self.conflict("field", path, node, base, ours, theirs)

    def keyed(
        self,
        base: list[dict],
        ours: list[dict],
        theirs: list[dict],
        key: Callable[[dict], Hashable],
        path: Callable[[Hashable, dict], str],
        node_of: Callable[[Hashable], str | None],
    ) -> list[dict]:
        """Merge lists of objects matched by ``key``; keeps ours' or theirs' order (see _union_order)."""
        b = {key(x): x for x in base}
        o = {key(x): x for x in ours}
        t = {key(x): x for x in theirs}
        merged: dict[Hashable, dict] = {}
        for k in _union_order(list(b), list(o), list(t)):
            bv, ov, tv = b.get(k, MISSING), o.get(k, MISSING), t.get(k, MISSING)
            where = path(k, next(x for x in (ov, tv, bv) if x is not MISSING))
            if (
                bv is not MISSING
                and (ov is MISSING or tv is MISSING)
                and not (ov is MISSING and tv is MISSING)
            ):
                # Removed on one side: fine if the other side left it alone, else a conflict.
                kept = ov if ov is not MISSING else tv
                if same(kept, bv):
                    continue
                result = self.conflict("removed_and_changed", where, node_of(k), bv, ov, tv)
            else:
                result = self.value(bv, ov, tv, where, node_of(k))
            if result is not MISSING:
                merged[k] = result
        return list(merged.values())


def _union_order(base: list, ours: list, theirs: list) -> list:
    """All keys, in ours' order if ours reordered base's keys, else in theirs' order; the other side's
    additions go right after the key that precedes them there."""
    base_set = set(base)
    ours_kept = [k for k in ours if k in base_set]
    ours_reordered = ours_kept != [k for k in base if k in set(ours_kept)]
    skeleton, other = (ours, theirs) if ours_reordered else (theirs, ours)
    result = list(dict.fromkeys(skeleton))
    present = set(result)
    for i, k in enumerate(other):
        if k in present:
            continue
        before = next((p for p in reversed(other[:i]) if p in present), MISSING)
        result.insert(0 if before is MISSING else result.index(before) + 1, k)
        present.add(k)
    for k in base:  # removed on both sides: still visited (the caller drops it)
        if k not in present:
            result.append(k)
            present.add(k)
    return result


def _items(document: Any, key: str) -> list[dict]:
    items = document.get(key) if isinstance(document, dict) else None
    return [x for x in items or [] if isinstance(x, dict)]


def _members(group: Any) -> list[str]:
    members = group.get("nodes") if isinstance(group, dict) else None
    return [str(x) for x in members] if isinstance(members, list) else []


def _merge_groups(m: _Merger, b: dict, o: dict, t: dict, node_ids: set[str]) -> list[dict]:
    """Groups keyed by id; members merged as sets, then pruned to the merged document's nodes."""
    base, ours, theirs = _items(b, "groups"), _items(o, "groups"), _items(t, "groups")
    without = [[{k: v for k, v in g.items() if k != "nodes"} for g in side] for side in (base, ours, theirs)]
    merged = m.keyed(
        *without,
        key=lambda g: str(g.get("id")),
        path=lambda k, g: join("groups", k),
        node_of=lambda k: None,
    )
    members = [{str(g.get("id")): _members(g) for g in side} for side in (base, ours, theirs)]
    owner: dict[str, str] = {}
    result = []
    for group in merged:
        gid = str(group.get("id"))
        bm, om, tm = (set(side.get(gid, [])) for side in members)
        wanted = (bm & om & tm) | (om - bm) | (tm - bm)
        order = list(dict.fromkeys([*members[1].get(gid, []), *members[2].get(gid, [])]))
        kept = []
        for nid in order:
            if nid not in wanted:
                continue
            if nid not in node_ids:
                m.warnings.append(f"Node {nid} left group {gid}: the node is gone.")
            elif nid in owner:
                m.warnings.append(f"Node {nid} left group {gid}: it is in group {owner[nid]}.")
            else:
                owner[nid] = gid
                kept.append(nid)
        if kept:
            result.append({**group, "nodes": kept})
        else:
            m.warnings.append(f"Group {gid} dropped: none of its nodes is left.")
    return result


def merge_documents(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    resolutions: dict[str, Any] | None = None,
) -> MergeResult:
    m = _Merger(resolutions)
    nodes = m.keyed(
        _items(base, "nodes"),
        _items(ours, "nodes"),
        _items(theirs, "nodes"),
        key=lambda n: str(n.get("id")),
        path=lambda k, n: join("nodes", k),
        node_of=lambda k: str(k),
    )
    edges = m.keyed(
        _items(base, "edges"),
        _items(ours, "edges"),
        _items(theirs, "edges"),
        key=edge_key,
        path=lambda k, e: join("edges", e.get("id", "->".join(k))),
        node_of=lambda k: None,
    )
    node_ids = {str(n.get("id")) for n in nodes}
    kept_edges = []
    for e in edges:
        source, _, target, _ = edge_key(e)
        if source in node_ids and target in node_ids:
            kept_edges.append(e)
        else:
            m.warnings.append(f"Edge {e.get('id')} ({source} -> {target}) dropped: one of its nodes is gone.")
    document: dict[str, Any] = {}
    b, o, t = (d if isinstance(d, dict) else {} for d in (base, ours, theirs))
    for key in _union_order(list(b), list(o), list(t)):
        if key == "nodes":
            document["nodes"] = nodes
        elif key == "edges":
            document["edges"] = kept_edges
        elif key == "groups":
            groups = _merge_groups(m, b, o, t, node_ids)
            pb, po, pt = ("groups" in d for d in (b, o, t))
            if groups or (po if po == pt or pt == pb else pt):
                document["groups"] = groups
        else:
            v = m.value(b.get(key, MISSING), o.get(key, MISSING), t.get(key, MISSING), join(key), None)
            if v is not MISSING:
                document[key] = v
    document.setdefault("nodes", nodes)
    document.setdefault("edges", kept_edges)
    return MergeResult(document=document, conflicts=m.conflicts, resolved=m.resolved, warnings=m.warnings)
