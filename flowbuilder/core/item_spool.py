"""Long item lists kept on local disk, so a run's memory is bounded by a chunk, not by its record count.

A node that works item by item (map, filter, split into batches, the HTTP request node following pages)
collects its output in an :class:`ItemBuffer`. Up to ``SPOOL_AFTER`` items the output is a plain list, as
always. Past that the buffer writes the items as JSON to an anonymous temporary file, one chunk of at most
``CHUNK_ITEMS`` items per line, and the output is a :class:`SpooledItems`: a read-only sequence that reads
one chunk at a time. The next item-wise node iterates it chunk by chunk, so 100,000 records pass through a
chain of such nodes with a chunk of each in memory, and the engine stores a spooled output from its JSON
text, never as Python objects. The file is one worker's scratch space for one run: an output that only
lived in memory is recomputed after a crash, as before; what is durable is in the database.
"""

from __future__ import annotations

import bisect
import json
import marshal
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, overload

# Items (or their weight: a batch weighs as many records as it holds) kept as a plain list before spilling.
# The app config sets it from settings.FLOWBUILDER_SPOOL_AFTER_ITEMS.
SPOOL_AFTER = 5000
# Items (or weight) per chunk: one chunk is what a reader holds in memory at a time.
CHUNK_ITEMS = 1000


def _dumps(items: list[Any]) -> bytes:
    # default=str as everywhere a run's items are stored (dates and decimals become text).
    return json.dumps(items, separators=(",", ":"), default=str, ensure_ascii=False).encode()


class SpooledItems(Sequence):
    """A long list of JSON items on local disk, read one chunk at a time."""

    def __init__(self, file: IO[bytes], offsets: list[int], counts: list[int]) -> None:
        self._file = file
        self._offsets = offsets
        self._starts: list[int] = []
        total = 0
        for count in counts:
            self._starts.append(total)
            total += count
        self._len = total
        self._cached: tuple[int, list[Any]] = (-1, [])

    def __len__(self) -> int:
        return self._len

    def _chunk_bytes(self, index: int) -> bytes:
        self._file.seek(self._offsets[index])
        return self._file.readline().rstrip(b"\n")

    def _chunk(self, index: int) -> list[Any]:
        if self._cached[0] != index:
            self._cached = (index, json.loads(self._chunk_bytes(index)))
        return self._cached[1]

    def chunks(self) -> Iterator[list[Any]]:
        """The items, one chunk (a list) at a time."""
        for index in range(len(self._offsets)):
            yield json.loads(self._chunk_bytes(index))

    def __iter__(self) -> Iterator[Any]:
        for chunk in self.chunks():
            yield from chunk

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("item index out of range")
        chunk = bisect.bisect_right(self._starts, index) - 1
        return self._chunk(chunk)[index - self._starts[chunk]]

    def json_pieces(self) -> Iterator[bytes]:
        """The items as one JSON array, in pieces of a chunk, from the stored text (no Python objects)."""
        yield b"["
        first = True
        for index in range(len(self._offsets)):
            inner = self._chunk_bytes(index)[1:-1]
            if inner:
                yield inner if first else b"," + inner
                first = False
        yield b"]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a list is not hashable either

    def __add__(self, other: Iterable[Any]) -> list[Any]:
        return [*self, *other]

    def __radd__(self, other: Iterable[Any]) -> list[Any]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"<SpooledItems {self._len} items in {len(self._offsets)} chunks>"


class ItemBuffer:
    """Collects a node's output items: a list while small, spilled to a temporary file past SPOOL_AFTER."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._weight = 0
        self._file: IO[bytes] | None = None
        self._offsets: list[int] = []
        self._counts: list[int] = []

    def append(self, item: Any, weight: int = 1) -> None:
        self._items.append(item)
        self._weight += weight
        if self._file is None:
            if self._weight > SPOOL_AFTER:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115  # lives as long as the SpooledItems
                self._flush()
        elif len(self._items) >= CHUNK_ITEMS or self._weight >= CHUNK_ITEMS:
            self._flush()

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def _flush(self) -> None:
        assert self._file is not None
        for start in range(0, len(self._items), CHUNK_ITEMS):
            chunk = self._items[start : start + CHUNK_ITEMS]
            self._offsets.append(self._file.tell())
            self._counts.append(len(chunk))
            self._file.write(_dumps(chunk) + b"\n")
        self._items, self._weight = [], 0

    def __len__(self) -> int:
        return sum(self._counts) + len(self._items)

    def result(self) -> list[Any] | SpooledItems:
        """The collected items: the plain list, or the spooled sequence (the buffer is done after this)."""
        if self._file is None:
            return self._items
        if self._items:
            self._flush()
        self._file.flush()
        return SpooledItems(self._file, self._offsets, self._counts)


class ItemsByPosition:
    """A spooled list copied to a temporary file item by item, read back by position: a node that reorders
    or looks up a long list (sort, merge by key) holds positions in memory, not the items.

    The copy is this process's own scratch, written and read within one node run, of items that came out of
    JSON: ``marshal`` (plain dicts, lists, strings and numbers) writes and reads them several times faster
    than JSON text."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115  # closed in close()
        self._offsets = array("q", [0])
        for item in items:
            self.append(item)

    def append(self, item: Any) -> None:
        """Add ``item`` at the next position (a buffered file: a read after it seeks, which flushes)."""
        self._file.write(marshal.dumps(item))
        self._offsets.append(self._file.tell())

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position: int) -> Any:
        if not 0 <= position < len(self):
            raise IndexError("item position out of range")
        start = self._offsets[position]
        self._file.seek(start)
        # Bytes this object wrote itself to an anonymous file, never bytes from outside (ruff's S302).
        return marshal.loads(self._file.read(self._offsets[position + 1] - start))  # noqa: S302

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ItemsByPosition:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def in_order(items: Sequence[Any], positions: Iterable[int]) -> list[Any] | SpooledItems:
    """``items`` at ``positions``, in that order: a list for a list; for a spooled list a spooled result,
    with one item of it in memory at a time (the input is copied to a file read back by position)."""
    if not is_spooled(items):
        return [items[p] for p in positions]
    out = ItemBuffer()
    with ItemsByPosition(items) as by_position:
        for position in positions:
            out.append(by_position[position])
    return out.result()


def is_spooled(items: Any) -> bool:
    return isinstance(items, SpooledItems)


def plain(outputs: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Port -> items with every spooled port read into a list (for code that needs real lists)."""
    return {port: list(items) if is_spooled(items) else items for port, items in outputs.items()}


def any_spooled(outputs: Mapping[str, Any] | None) -> bool:
    return bool(outputs) and any(isinstance(items, SpooledItems) for items in outputs.values())
