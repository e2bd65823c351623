"""Spooled item lists: a node's long output on local disk, read back a chunk at a time."""

from __future__ import annotations

import json

import pytest

from flowbuilder.core import item_spool
from flowbuilder.core.item_spool import (
    ItemBuffer,
    ItemsByPosition,
    SpooledItems,
    any_spooled,
    in_order,
    is_spooled,
    plain,
)


@pytest.fixture
def small_spool(monkeypatch):
    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 10)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 4)


def collect(items, **weights):
    buffer = ItemBuffer()
    for item in items:
        buffer.append(item, **weights)
    return buffer.result()


def test_a_short_output_stays_a_plain_list(small_spool):
    items = [{"n": n} for n in range(10)]
    result = collect(items)
    assert type(result) is list and result == items and not is_spooled(result)


def test_a_long_output_spills_and_reads_back_the_same_items_in_order(small_spool):
    items = [{"n": n, "name": f"Zoë \\ {n}", "tags": ["a", n]} for n in range(23)]
    result = collect(items)
    assert is_spooled(result)
    assert len(result) == 23 and list(result) == items
    assert result == items and items == list(result)
    assert result[0] == items[0] and result[22] == items[22] and result[-1] == items[-1]
    assert result[5:9] == items[5:9] and result[::7] == items[::7]
    assert [len(chunk) for chunk in result.chunks()] == [4, 4, 3, 4, 4, 4]  # 11 spilled, then chunks of 4
    with pytest.raises(IndexError):
        result[23]


def test_json_pieces_join_to_the_items_json(small_spool):
    items = [{"n": n, "text": 'quote " and \\ and ü'} for n in range(17)]
    result = collect(items)
    text = b"".join(result.json_pieces()).decode()
    assert json.loads(text) == items


def test_a_spooled_list_concatenates_and_materialises_like_a_list(small_spool):
    result = collect([{"n": n} for n in range(12)])
    assert [{"n": -1}] + result == [{"n": -1}] + [{"n": n} for n in range(12)]
    assert (result + [{"n": 12}])[-1] == {"n": 12}
    outputs = {"main": result, "rejected": [{"n": 99}]}
    assert any_spooled(outputs) and not any_spooled({"main": []}) and not any_spooled(None)
    flat = plain(outputs)
    assert type(flat["main"]) is list and flat["main"] == list(result) and flat["rejected"] == [{"n": 99}]


def test_weight_spills_a_few_heavy_items(small_spool):
    # Three batches of five records weigh 15, past SPOOL_AFTER=10: spilled although only three items.
    batches = [{"batch": [{"r": i} for i in range(5)], "batch_index": b} for b in range(3)]
    result = collect(batches, weight=5)
    assert isinstance(result, SpooledItems) and list(result) == batches


def test_an_empty_buffer_is_an_empty_list():
    assert ItemBuffer().result() == []


def test_items_by_position_read_back_any_item_of_a_spooled_list(small_spool):
    items = [
        {
            "n": n,
            "text": "é" * (n % 3),
            "rate": n / 7,
            "ok": n % 2 == 0,
            "none": None,
            "tags": [n, {"k": "v"}],
        }
        for n in range(23)
    ]
    with ItemsByPosition(collect(items)) as by_position:
        assert len(by_position) == 23
        assert [by_position[p] for p in (22, 0, 7, 7, 13)] == [items[p] for p in (22, 0, 7, 7, 13)]
        with pytest.raises(IndexError):
            by_position[23]


def test_in_order_keeps_a_list_a_list_and_a_spooled_list_spooled(small_spool):
    items = [{"n": n} for n in range(23)]
    backwards = list(range(22, -1, -1))
    assert in_order(items[:5], [4, 0, 2]) == [{"n": 4}, {"n": 0}, {"n": 2}]
    result = in_order(collect(items), backwards)
    assert is_spooled(result) and list(result) == items[::-1]
    assert in_order(collect(items), []) == []
