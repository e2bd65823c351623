"""Node groups: presentation data of a flow document, checked against the nodes they name.

A document may carry ``"groups": [{"id": "g1", "label": "Create customer", "nodes": ["n3", "n4"],
"collapsed": true}]``. Groups only change how the editor and the run view draw the flow (a box around
nodes, or one compact node when collapsed); planning and execution never read them. A group must name
nodes that exist, a node belongs to at most one group, and a group's id must not be a node's id (the
editor draws both as canvas nodes).
"""

from __future__ import annotations

from typing import Any

import jsonschema

from .document_schema import GROUPS
from .findings import Finding


def group_findings(doc: dict[str, Any], node_ids: set[str]) -> list[Finding]:
    """Findings for ``doc["groups"]``; the document schema reports wrongly shaped entries."""
    groups = doc.get("groups")
    if not isinstance(groups, list):
        return []
    findings: list[Finding] = []
    seen_groups: set[str] = set()
    owner: dict[str, str] = {}
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("id"), str):
            continue
        gid = group["id"]
        if gid in seen_groups or gid in node_ids:
            findings.append(
                Finding(
                    "group_id_taken",
                    f"The group id {gid!r} is already used by another group or a node; give the group "
                    "its own id.",
                    field=f"groups[{index}].id",
                )
            )
        seen_groups.add(gid)
        members = group.get("nodes")
        if not isinstance(members, list):
            continue
        for member in members:
            if not isinstance(member, str):
                continue
            if member not in node_ids:
                findings.append(
                    Finding(
                        "group_unknown_node",
                        f"The group {group.get('label') or gid!r} lists the node {member!r}, which is not "
                        "in the flow; remove it from the group.",
                        field=f"groups[{index}].nodes",
                    )
                )
            elif member in owner and owner[member] != gid:
                findings.append(
                    Finding(
                        "group_overlap",
                        f"The node {member!r} is in the groups {owner[member]!r} and {gid!r}; a node "
                        "belongs to one group at most.",
                        node_id=member,
                        field=f"groups[{index}].nodes",
                    )
                )
            else:
                owner[member] = gid
    return findings


def first_group_problem(doc: Any) -> Finding | None:
    """The first problem with the document's groups (to refuse a save with a 400 naming it), else None."""
    if not isinstance(doc, dict) or "groups" not in doc:
        return None
    for error in _groups_validator.iter_errors(doc["groups"]):
        field = "groups" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        return Finding("document_schema", f"In '{field}': {error.message}.", field=field)
    nodes = doc.get("nodes")
    node_ids = (
        {n["id"] for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}
        if isinstance(nodes, list)
        else set()
    )
    found = group_findings(doc, node_ids)
    return found[0] if found else None


_groups_validator = jsonschema.Draft202012Validator(GROUPS)
