"""Size limits: checked first, so an oversized document is refused before anything expensive."""

from __future__ import annotations

import json
from typing import Any

from .findings import Finding

MAX_NODES = 5_000
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def _reject(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def size_findings(doc: dict[str, Any]) -> list[Finding]:
    nodes = doc.get("nodes")
    if isinstance(nodes, list) and len(nodes) > MAX_NODES:
        return [
            Finding(
                "too_many_nodes",
                f"The flow has {len(nodes)} nodes; the limit is {MAX_NODES}. Split it into sub-flows.",
                field="nodes",
            )
        ]
    try:
        # ASCII output is the encoder's fast path; its length over-counts non-ASCII text, so only a
        # document near the limit is measured again exactly in UTF-8.
        size = len(json.dumps(doc, separators=(",", ":"), allow_nan=False, default=_reject))
        if size > MAX_DOCUMENT_BYTES:
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            size = len(text.encode())
    except (TypeError, ValueError, RecursionError) as exc:
        return [Finding("not_json", f"The document is not plain JSON ({exc}). Save it from the editor.")]
    if size > MAX_DOCUMENT_BYTES:
        return [
            Finding(
                "document_too_large",
                f"The document is {size / 1_048_576:.1f} MB; the limit is 5 MB. "
                "Move large constants out of node configs or split the flow.",
            )
        ]
    return []
