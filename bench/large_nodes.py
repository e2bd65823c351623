"""Nodes that reorder, route or join, over 100,000 spooled records, as the engine hands them: a node that
streams gets the spooled list as is, any other node gets it read into a plain list (node_runner.run_node).

For each node, its seconds, then (in a second run) the peak of Python allocations while it runs and reads
its whole output once (tracemalloc). Not a test: figures to compare.
Ends with: LARGE records=100000 sort_peak_mb=<n> merge_peak_mb=<n> join_peak_mb=<n> if_peak_mb=<n>
switch_peak_mb=<n>
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FLOWBUILDER_TESTING", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowbuilder.settings")

import django  # noqa: E402

django.setup()

from flowbuilder.core.item_spool import ItemBuffer, any_spooled, plain  # noqa: E402
from flowbuilder.nodes.base import NodeContext  # noqa: E402
from flowbuilder.nodes.registry import load_registry  # noqa: E402

RECORDS = int(os.environ.get("LARGE_RECORDS", "100000"))


def record(n: int) -> dict[str, Any]:
    """About the size of a W7 record: an invoice line with a few text fields."""
    return {
        "id": f"INV-{n:07d}",
        "customer": f"Customer {n % 997:03d} Ltd",
        "amount": round((n * 7919) % 100_000 / 100, 2),
        "status": ("open", "paid", "overdue")[n % 3],
        "memo": f"Professional services, week {n % 52 + 1}, project P-{n % 211:04d}",
    }


def spooled(items: Any) -> Any:
    buffer = ItemBuffer()
    buffer.extend(items)
    return buffer.result()


def run_once(type_id: str, config: dict[str, Any], inputs: dict[str, Any], *, trace: bool) -> tuple:
    """(seconds, output items, peak MB or 0) of one node run as the engine runs it."""
    node_cls = load_registry()[type_id]
    ctx = NodeContext(run_id=1, node_id="n", organisation_id=1)
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    if not node_cls.streams_items and any_spooled(inputs):
        inputs = plain(inputs)  # what node_runner does for a node that does not stream
    outputs = node_cls(config).run(ctx, inputs)
    count = sum(1 for items in outputs.values() for _ in items)  # read every output item once
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    if trace:
        tracemalloc.stop()
    return seconds, count, peak


def measure(type_id: str, config: dict[str, Any], inputs: dict[str, Any]) -> tuple[float, float, int]:
    """(peak MB, seconds, output items): timed without tracemalloc, then run again to trace the peak."""
    seconds, count, _ = run_once(type_id, config, inputs, trace=False)
    _, _, peak = run_once(type_id, config, inputs, trace=True)
    return peak, seconds, count


def main() -> None:
    records = spooled(record(n) for n in range(RECORDS))
    customers = [{"customer": f"Customer {k:03d} Ltd", "terms": f"NET{k % 4 * 15}"} for k in range(997)]
    cases = {
        "sort": ("transform.sort", {"field": "amount", "order": "desc"}, {"main": records}),
        "merge": ("logic.merge", {"mode": "append"}, {"a": records, "b": records}),
        "join": (
            "logic.merge",
            {"mode": "merge_by_key", "key_fields": ["customer"]},
            {"a": records, "b": customers},
        ),
        "if": ("logic.if", {"condition": "$item.status = 'overdue'"}, {"main": records}),
        "switch": (
            "logic.switch",
            {"rules": [{"condition": "$item.amount > 500"}, {"condition": "$item.amount > 100"}]},
            {"main": records},
        ),
    }
    peaks = {}
    for name, (type_id, config, inputs) in cases.items():
        peak, seconds, count = measure(type_id, config, inputs)
        peaks[name] = peak
        print(f"{name:7s} {type_id:16s} peak {peak:7.1f} MB  {seconds:5.2f} s  {count} items out")
    figures = " ".join(f"{name}_peak_mb={peak:.0f}" for name, peak in peaks.items())
    print(f"LARGE records={RECORDS} {figures}")


if __name__ == "__main__":
    main()
