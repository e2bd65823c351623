"""The shared polling tail: records in timestamp order -> new items and the next {ts, ids} cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import InvalidInput
from connectors.polling import Position, collect, iso_millis, parse_timestamp

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _records(*pairs: tuple[int, str]) -> list[dict]:
    return [{"at": T0 + timedelta(seconds=s), "id": rid} for s, rid in pairs]


def _poll(records, start: Position, limit: int = 10, max_ids: int | None = None):
    return collect(
        records,
        start,
        limit=limit,
        timestamp=lambda r: r["at"],
        record_id=lambda r: r["id"],
        item=lambda r: {"id": r["id"]},
        fmt=iso_millis,
        max_ids=max_ids,
    )


def test_skips_what_was_emitted_and_keeps_ids_of_the_last_timestamp():
    records = _records((0, "a"), (0, "b"), (1, "c"), (2, "d"), (2, "e"))
    result = _poll(records, Position(T0, frozenset({"a"})))
    assert [i["id"] for i in result.items] == ["b", "c", "d", "e"]
    assert result.cursor == {"ts": "2026-01-05T10:00:02.000Z", "ids": ["d", "e"]}


def test_a_limit_mid_timestamp_resumes_without_loss_or_repeat():
    records = _records((0, "a"), (1, "b"), (1, "c"), (1, "d"))
    first = _poll(records, Position(T0 - timedelta(seconds=1)), limit=2)
    assert [i["id"] for i in first.items] == ["a", "b"]
    second = _poll(records, Position.load(first.cursor, parse_timestamp), limit=2)
    assert [i["id"] for i in second.items] == ["c", "d"]
    assert second.cursor == {"ts": "2026-01-05T10:00:01.000Z", "ids": ["b", "c", "d"]}


def test_nothing_new_keeps_the_cursor_and_ids_can_be_capped():
    start = Position(T0, frozenset({"a", "b"}))
    assert _poll(_records((0, "a"), (0, "b")), start).cursor == start.dump(iso_millis)
    capped = _poll(_records((0, "x"), (0, "y"), (0, "z")), Position(T0), max_ids=2)
    assert capped.cursor["ids"] == ["y", "z"]


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), unique_by=lambda t: t[1], max_size=30),
    st.integers(1, 7),
)
def test_polling_in_pages_emits_every_record_once(pairs, limit):
    records = sorted(_records(*((s, f"r{i:02d}") for s, i in pairs)), key=lambda r: (r["at"], r["id"]))
    cursor, seen = Position(T0 - timedelta(seconds=1)).dump(iso_millis), []
    for _ in range(len(records) + 2):
        result = _poll(records, Position.load(cursor, parse_timestamp), limit=limit)
        seen += [i["id"] for i in result.items]
        cursor = result.cursor
    assert seen == [r["id"] for r in records]


def test_parse_timestamp_forms_and_errors():
    assert parse_timestamp("2026-01-05T10:00:00.000+0000") == T0
    assert parse_timestamp("2026-01-05T11:00:00+01:00") == T0
    assert parse_timestamp("2026-01-05 10:00:00") == T0  # no zone: UTC
    with pytest.raises(InvalidInput, match="ISO 8601"):
        parse_timestamp("yesterday")


@pytest.mark.settling
def test_a_record_of_the_current_second_waits_until_its_second_has_settled():
    # Two changes to one record in one second share its timestamp: emitting the first at once would make
    # the second look already seen. The record is held until its second is over, then emitted once.
    changed = _records((0, "a"))
    during = _poll_at(changed, Position(T0 - timedelta(seconds=5)), now=T0 + timedelta(milliseconds=400))
    assert (during.items, during.held, during.cursor["ts"]) == ([], 1, "2026-01-05T09:59:55.000Z")
    just_after = _poll_at(changed, Position(T0 - timedelta(seconds=5)), now=T0 + timedelta(seconds=1.5))
    assert just_after.held == 1  # within the margin for clock skew
    settled = _poll_at(changed, Position(T0 - timedelta(seconds=5)), now=T0 + timedelta(seconds=2))
    assert ([i["id"] for i in settled.items], settled.held) == (["a"], 0)


@pytest.mark.settling
def test_settled_records_go_and_newer_ones_wait_in_the_same_poll():
    records = _records((0, "a"), (0, "b"), (3, "c"))
    now = T0 + timedelta(seconds=3, milliseconds=10)
    result = _poll_at(records, Position(T0 - timedelta(seconds=1)), now=now)
    assert ([i["id"] for i in result.items], result.held) == (["a", "b"], 1)
    assert result.cursor == {"ts": "2026-01-05T10:00:00.000Z", "ids": ["a", "b"]}


def _poll_at(records, start: Position, *, now: datetime):
    return collect(
        records,
        start,
        limit=10,
        timestamp=lambda r: r["at"],
        record_id=lambda r: r["id"],
        item=lambda r: {"id": r["id"]},
        fmt=iso_millis,
        now=now,
    )


@pytest.mark.settling
def test_the_settle_margin_is_set_in_seconds(monkeypatch):
    import connectors.polling as polling

    monkeypatch.setattr(polling, "SETTLE", polling.SETTLE)  # restored after the test
    now = datetime(2026, 3, 1, 12, 0, 30, 400000, tzinfo=UTC)
    polling.set_settle_margin(0)
    assert polling.settled_before(now) == datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    polling.set_settle_margin(5)
    assert polling.settled_before(now) == datetime(2026, 3, 1, 12, 0, 25, tzinfo=UTC)
