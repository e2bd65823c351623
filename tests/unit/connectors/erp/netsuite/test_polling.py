"""Polling NetSuite in the account's time zone: the cursor is UTC, SuiteQL's times are wall clock in the
integration user's zone; ties on one second are broken by id; the repeated autumn hour is read from the
record API instead of guessed; a connection whose zone is wrong does not pass its test."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from connectors.base import BEARER, open_connection
from connectors.erp.netsuite.connector import NetSuiteConnector
from connectors.erp.netsuite.polling import from_wall_clock, to_wall_clock
from tests.support.sandbox import make_connect
from tests.support.scripted_server import LOCAL, ScriptedServer, Seen

SUITEQL = "/services/rest/query/v1/suiteql"


class BearerNetSuite(NetSuiteConnector):
    """NetSuite with a pasted bearer token: request shapes are tested here, not the token grants (auth.py)."""

    credential_types = (*NetSuiteConnector.credential_types, BEARER)


def uid() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def account_zone(sandbox):
    """Put the sandbox account in another time zone for one test."""

    def set_zone(name: str) -> None:
        sandbox.config(netsuite_time_zone=name)

    yield set_zone
    sandbox.config(netsuite_time_zone="America/Los_Angeles")


def _connect(sandbox, zone: str):
    config = {"base_url": sandbox.url + "/netsuite", "subsidiary_id": "1", "time_zone": zone}
    return make_connect(sandbox, NetSuiteConnector(), "netsuite", config)()


def _create(ns) -> str:
    return ns.run_action(
        "create_record",
        {"record_type": "customer", "fields": {"companyName": f"Zone {uid()}"}, "return_record": False},
    )["id"]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"])
def test_a_change_is_seen_once_whatever_the_accounts_zone(sandbox, account_zone, zone):
    account_zone(zone)
    ns = _connect(sandbox, zone)
    try:
        assert ns.test_connection() == (
            True,
            "Connected to NetSuite (SuiteQL answered; the time zone matches).",
        )
        start = ns.poll("record_updated", {"record_type": "customer"}, None)
        made = _create(ns)
        seen = ns.poll("record_updated", {"record_type": "customer"}, start.cursor)
        assert [i["id"] for i in seen.items] == [made]
        assert seen.cursor["ts"].endswith("Z")  # the cursor is UTC, whatever the zone
        assert ns.poll("record_updated", {"record_type": "customer"}, seen.cursor).items == []
    finally:
        ns.close()


def test_a_connection_in_the_wrong_zone_does_not_pass_its_test(sandbox, account_zone):
    """An account 8 hours behind UTC read as UTC: every change made in the last 8 hours would be skipped."""
    account_zone("America/Los_Angeles")
    ns = _connect(sandbox, "UTC")
    try:
        ok, message = ns.test_connection()
    finally:
        ns.close()
    assert not ok
    assert "UTC-7h" in message or "UTC-8h" in message
    assert "time zone UTC" in message and "Set the connection's time zone" in message


def test_ties_on_one_second_across_polls_are_neither_lost_nor_repeated(sandbox):
    ns = _connect(sandbox, "America/Los_Angeles")
    try:
        start = ns.poll("record_updated", {"record_type": "customer"}, None)
        made = [_create(ns) for _ in range(5)]  # most of them in the same second
        seen: list[str] = []
        cursor = start.cursor
        for _ in range(6):
            result = ns.poll("record_updated", {"record_type": "customer", "max_records": 2}, cursor)
            seen += [i["id"] for i in result.items]
            cursor = result.cursor
        assert seen == made  # in order, each once, although polls stop mid-second
    finally:
        ns.close()


def test_the_repeated_autumn_hour_is_read_from_the_record_api():
    """1 November 2026, Los Angeles: 01:00-02:00 happens twice (PDT, then PST). A row shown at 01:20 may be
    08:20Z or 09:20Z; the record API says which. The cursor stands at 01:40 PDT (08:40Z)."""
    server = ScriptedServer().start()
    rows = [{"links": [], "id": "5", "modified": "2026-11-01 01:20:00"}]
    body = {"links": [], "count": 1, "hasMore": False, "items": rows, "offset": 0, "totalResults": 1}
    server.routes[SUITEQL] = (200, {"Content-Type": "application/json"}, json.dumps(body).encode())
    record = {"links": [], "companyName": "Late", "lastModifiedDate": "2026-11-01T09:20:00Z", "id": "5"}
    server.routes["/services/rest/record/v1/customer/5"] = (
        200,
        {"Content-Type": "application/json"},
        json.dumps(record).encode(),
    )
    runtime = open_connection(
        BearerNetSuite(),
        connection_id="dst",
        config={"base_url": server.url, "time_zone": "America/Los_Angeles"},
        credential_type="bearer",
        secrets={"token": "t"},
        policy=LOCAL,
        retries=0,
    )
    try:
        result = runtime.poll(
            "record_updated", {"record_type": "customer"}, {"ts": "2026-11-01T08:40:00Z", "ids": []}
        )
    finally:
        runtime.close()
        server.stop()
    assert [i["id"] for i in result.items] == ["5"]
    assert result.cursor == {"ts": "2026-11-01T09:20:00Z", "ids": ["5"]}
    query = json.loads(next(s for s in server.seen if s.path.startswith(SUITEQL)).body)["q"]
    # The query starts an hour before the cursor, in wall-clock time: 07:40Z is 00:40 PDT.
    assert "TO_TIMESTAMP('2026-11-01 00:40:00', 'YYYY-MM-DD HH24:MI:SS')" in query
    asked: list[Seen] = [s for s in server.seen if s.path.startswith("/services/rest/record/v1/customer/5")]
    assert asked[0].path.endswith("fields=lastModifiedDate")


def test_wall_clock_conversions():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Los_Angeles")
    assert to_wall_clock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC), zone) == "2026-01-05 02:00:00"
    assert from_wall_clock("2026-01-05 02:00:00", zone) == (datetime(2026, 1, 5, 10, 0, tzinfo=UTC), False)
    assert from_wall_clock("2026-11-01 01:30:00", zone)[1] is True  # repeated hour
    assert from_wall_clock("2026-11-01 03:30:00", zone)[1] is False


def test_a_written_records_version_is_the_one_the_poll_sees(sandbox, account_zone):
    """Echo suppression marks a flow's own write with the version the trigger will read."""
    account_zone("Asia/Kolkata")
    ns = _connect(sandbox, "Asia/Kolkata")
    try:
        start = ns.poll("record_updated", {"record_type": "customer"}, None)
        made = _create(ns)
        polled = ns.poll("record_updated", {"record_type": "customer"}, start.cursor)
        assert [ref.id for ref in polled.refs] == [made]
        assert ns.record_versions("customer", [made, "x"]) == {made: polled.refs[0].version}
        assert ns.record_versions("currency", ["1"]) == {}  # not polled: no version to match
    finally:
        ns.close()


@pytest.mark.settling
def test_two_changes_in_one_second_reach_the_flow_as_the_last_one(sandbox, account_zone):
    """NetSuite stamps changes to the second: a change right after a poll saw the record in the same
    second carries the same timestamp. The poll holds a record until its second has settled, so the
    last version is the one a flow receives (before, a payment applied right after another was lost)."""
    account_zone("America/Los_Angeles")
    ns = _connect(sandbox, "America/Los_Angeles")
    try:
        start = ns.poll("record_updated", {"record_type": "customer"}, None)
        made = _create(ns)
        first = ns.poll("record_updated", {"record_type": "customer"}, start.cursor)
        final = f"Renamed {uid()}"
        ns.run_action(
            "update_record",
            {"record_type": "customer", "id": made, "fields": {"companyName": final}},
        )
        seen, cursor = list(first.items), first.cursor
        for _ in range(20):  # the record settles within about two seconds
            time.sleep(0.25)
            result = ns.poll("record_updated", {"record_type": "customer"}, cursor)
            seen, cursor = seen + result.items, result.cursor
            if result.items and not result.held:
                break
        assert [i["companyName"] for i in seen if i["id"] == made][-1] == final
        assert first.held + len(first.items) >= 1
    finally:
        ns.close()
