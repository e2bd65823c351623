"""Spooled item lists for node tests: a long input on disk that a node may only read in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flowbuilder.core.item_spool import ItemBuffer, SpooledItems, is_spooled


class ReadInOrderOnly(SpooledItems):
    """A spooled list that fails the test when a node indexes it: a node that streams only iterates it."""

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError(f"indexed a spooled input at {index!r}: the node read it into memory")


def read_in_order_only(items: Iterable[Any]) -> ReadInOrderOnly:
    """``items`` spooled (the test has made ``item_spool.SPOOL_AFTER`` smaller than their count)."""
    buffer = ItemBuffer()
    buffer.extend(items)
    spooled = buffer.result()
    assert is_spooled(spooled), "spool fewer items than SPOOL_AFTER: lower it in the test"
    spooled.__class__ = ReadInOrderOnly
    return spooled
