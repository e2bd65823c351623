"""Summarise py-spy's raw (collapsed) stacks: where a process spent its sampled time.

``python bench/pyspy_summary.py FILE [LABEL=frame-substring ...]`` prints, per label, the share of samples
whose stack contains that frame (inclusive), then the functions with the most samples of their own.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def summarise(path: Path, groups: dict[str, str], top: int = 12) -> str:
    stacks = load(path)
    total = sum(count for _, count in stacks) or 1
    lines = [f"{path.name}: {total} samples"]
    for label, needle in groups.items():
        hits = sum(count for frames, count in stacks if any(needle in frame for frame in frames))
        lines.append(f"  {label:<34} {100 * hits / total:5.1f}%")
    own: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1].split(" (")[0] + " (" + frames[-1].rsplit("/", 1)[-1]] += count
    lines.append("  most samples of their own:")
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    pairs = dict(arg.split("=", 1) for arg in sys.argv[2:])
    print(summarise(Path(sys.argv[1]), pairs))
