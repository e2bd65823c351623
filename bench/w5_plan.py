"""W5: validate + plan a realistic 5,000-node flow. Prints exactly one line: W5 nodes=5000 ms=<n>.

The graph: a manual trigger fanning out into 50 parallel lanes; each lane is a chain of map, filter,
if (both branches mapped) and merge nodes, the way large sync flows look in practice. Each map node
has its own expressions. Timing is the median of several runs after a warm-up (the expression and
validator caches are warm, as they are for a flow saved again in the editor).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flowbuilder.nodes.registry import load_registry  # noqa: E402
from flowbuilder.planning import build_plan  # noqa: E402
from flowbuilder.validation import validate_document  # noqa: E402

N_NODES = 5000
LANES = 50


def build_document(n_nodes: int = N_NODES, lanes: int = LANES) -> dict:
    nodes = [
        {
            "id": "start",
            "type": "trigger.manual",
            "label": "Start",
            "position": {"x": 0, "y": 0},
            "config": {},
            "retry": {"max_attempts": 1, "backoff_s": 1},
            "on_error": "fail",
            "disabled": False,
            "notes": "",
        }
    ]
    edges: list[dict] = []
    counter = 0

    def add(node_type: str, config: dict, lane: int) -> str:
        nonlocal counter
        counter += 1
        nid = f"n{counter}"
        nodes.append(
            {
                "id": nid,
                "type": node_type,
                "label": f"{node_type} {counter}",
                "position": {"x": counter * 10 % 4000, "y": lane * 120},
                "config": config,
                "retry": {"max_attempts": 2, "backoff_s": 1.5},
                "on_error": "fail",
                "disabled": False,
                "notes": "",
            }
        )
        return nid

    def link(source: str, target: str, source_port: str = "main", target_port: str = "main") -> None:
        edges.append(
            {
                "id": f"e{len(edges) + 1}",
                "source": source,
                "source_port": source_port,
                "target": target,
                "target_port": target_port,
            }
        )

    per_lane = (n_nodes - 1) // lanes
    for lane in range(lanes):
        prev = "start"
        budget = per_lane + (1 if lane < (n_nodes - 1) % lanes else 0)
        while budget > 0:
            k = counter
            if budget >= 5:
                # if -> (map on true, map on false) -> merge -> filter
                cond = add("logic.if", {"condition": f"$item.amount > {k % 997}"}, lane)
                link(prev, cond)
                yes = add(
                    "transform.map",
                    {
                        "fields": [
                            {"name": "tier", "value": "gold"},
                            {"name": "score", "value": f"{{{{ $item.amount * {k % 7 + 1} }}}}"},
                        ]
                    },
                    lane,
                )
                no = add(
                    "transform.map",
                    {
                        "fields": [
                            {"name": "tier", "value": "{{ $uppercase($item.region) }}"},
                            {"name": "note", "value": f"Lane {lane} #{{{{ $index + {k} }}}}"},
                        ]
                    },
                    lane,
                )
                link(cond, yes, "true")
                link(cond, no, "false")
                merge = add("logic.merge", {"mode": "append"}, lane)
                link(yes, merge, target_port="a")
                link(no, merge, target_port="b")
                filt = add("transform.filter", {"condition": f"$item.score != {k}"}, lane)
                link(merge, filt)
                prev = filt
                budget -= 5
            else:
                node = add(
                    "transform.map",
                    {
                        "fields": [{"name": f"f{k}", "value": f"{{{{ $item.n + {k} }}}}"}],
                        "keep_other_fields": True,
                    },
                    lane,
                )
                link(prev, node)
                prev = node
                budget -= 1
    return {"schema_version": 1, "nodes": nodes, "edges": edges, "notes": [], "settings": {}}


def main() -> None:
    load_registry()
    doc = build_document()
    assert len(doc["nodes"]) == N_NODES, len(doc["nodes"])
    findings = validate_document(doc)
    if findings:
        raise SystemExit(f"benchmark document is invalid: {findings[:3]}")
    for _ in range(2):  # warm-up: caches, imports
        validate_document(doc)
        build_plan(doc)
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        validate_document(doc)
        build_plan(doc)
        samples.append((time.perf_counter() - start) * 1000)
    print(f"W5 nodes={N_NODES} ms={statistics.median(samples):.0f}")


if __name__ == "__main__":
    main()
