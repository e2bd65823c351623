"""The run engine on real PostgreSQL, tasks executed inline (eager): ordering, skips, errors, retries."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from flowbuilder.execution import actions
from flowbuilder.execution.durability import sweep
from flowbuilder.execution.engine import Engine
from flowbuilder.execution.models import NodeRun, NodeStatus, Run, RunStatus
from tests.support.documents import chain, document, edge, node
from tests.support.flows import published_flow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def builder(make_org, make_user):
    org = make_org("Acme")
    return make_user("ben", org, "admin")


def publish(user, doc):
    return published_flow(user, None, "f", doc)


def run_flow(user, doc, items=None):
    flow = publish(user, doc)
    run = actions.start_run(actor=user, flow=flow, input_items=items if items is not None else [{"n": 0}])
    run.refresh_from_db()
    return run


def statuses(run):
    return {nr.node_id: nr.status for nr in NodeRun.objects.filter(run=run)}


def call_between_trigger_and_noop(url):
    """A manual trigger, one POST to ``url`` (a side effect) named "call", then a no-op named "after"."""
    return document(
        [
            node("t", "trigger.manual"),
            node("call", "http.request", {"method": "POST", "url": url}),
            node("after", "flow.noop"),
        ],
        [edge("t", "call"), edge("call", "after")],
    )


def test_chain_runs_every_node_in_order_with_contiguous_events(builder, eager):
    run = run_flow(builder, chain(10))
    assert run.status == RunStatus.SUCCEEDED
    assert run.output_items == [{"n": 10}]
    assert len(statuses(run)) == 11 and set(statuses(run).values()) == {NodeStatus.SUCCEEDED}
    seqs = list(run.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    types = list(run.events.values_list("type", flat=True))
    assert types[0] == "run.queued" and types[1] == "run.started" and types[-1] == "run.succeeded"
    succeeded = [e.node_id for e in run.events.filter(type="node.succeeded").order_by("seq")]
    assert succeeded == ["t"] + [f"m{i}" for i in range(10)]
    # Pure nodes kept in memory send only their result: a start would arrive in the same batch.
    assert not run.events.filter(type="node.started").exists()


def test_a_side_effect_node_is_shown_running_before_it_runs(builder, eager, endpoint, monkeypatch):
    """Its node.started is committed with its claim and published, while the call is still in flight;
    the pure nodes around it send no start of their own."""
    from flowbuilder.execution import publish as publishing

    published: list[tuple[str, str]] = []
    monkeypatch.setattr(
        publishing,
        "send_now",
        lambda groups, message: published.extend((e["type"], e["node_id"]) for e in message["events"]),
    )
    seen_during_call = {}

    def record(n, body):
        try:  # the endpoint's own thread: a watcher reading from another connection
            seen_during_call["stored"] = list(
                Run.objects.get(flow__name="f").events.filter(node_id="call").values_list("type", flat=True)
            )
            seen_during_call["published"] = list(published)
        finally:
            connection.close()
        return 200, {}, {"ok": True}

    endpoint.route("/call", record)
    doc = call_between_trigger_and_noop(endpoint.url + "/call")
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED
    assert seen_during_call["stored"] == ["node.started"]
    assert ("node.started", "call") in seen_during_call["published"]
    started = list(run.events.filter(type="node.started").values_list("node_id", "payload"))
    assert started == [("call", {"attempt": 1})]
    assert ("run.queued", "") not in published  # nobody can watch a run before it exists


def test_if_marks_the_untaken_branch_skipped(builder, eager):
    doc = document(
        [
            node("t", "trigger.manual"),
            node("if", "logic.if", {"condition": "$item.n > 5"}),
            node("big", "transform.map", {"fields": [{"name": "size", "value": "big"}]}),
            node("small", "transform.map", {"fields": [{"name": "size", "value": "small"}]}),
            node("after_big", "flow.noop"),
        ],
        [edge("t", "if"), edge("if", "big", "true"), edge("if", "small", "false"), edge("big", "after_big")],
    )
    run = run_flow(builder, doc, [{"n": 1}])
    assert run.status == RunStatus.SUCCEEDED
    s = statuses(run)
    assert s["small"] == NodeStatus.SUCCEEDED
    assert s["big"] == NodeStatus.SKIPPED and s["after_big"] == NodeStatus.SKIPPED
    assert run.output_items == [{"n": 1, "size": "small"}]


def test_failed_node_fails_the_run_with_reason_and_next_step(builder, eager, endpoint):
    endpoint.route("/bad", lambda n, body: (400, {}, {"error": "no such customer"}))
    doc = call_between_trigger_and_noop(endpoint.url + "/bad")
    run = run_flow(builder, doc)
    assert run.status == RunStatus.FAILED
    assert run.error["node_id"] == "call" and run.error["hint"]
    assert "400" in run.error["message"]
    assert "after" not in statuses(run)
    assert endpoint.calls["/bad"] == 1  # a 4xx is not retried


def test_error_port_routes_failures_and_the_run_succeeds(builder, eager, endpoint):
    endpoint.route("/bad", lambda n, body: (422, {}, {"error": "invalid"}))
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "call",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/bad"},
                on_error="error_port",
            ),
            node("handle", "transform.map", {"fields": [{"name": "handled", "value": "{{ true }}"}]}),
            node("ok", "flow.noop"),
        ],
        [edge("t", "call"), edge("call", "handle", "error"), edge("call", "ok")],
    )
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED
    s = statuses(run)
    assert (
        s["call"] == NodeStatus.FAILED
        and s["handle"] == NodeStatus.SUCCEEDED
        and s["ok"] == NodeStatus.SKIPPED
    )
    assert run.output_items[0]["handled"] is True and "error" in run.output_items[0]


def test_retryable_failure_waits_in_the_database_then_succeeds(builder, eager, endpoint):
    endpoint.route("/flaky", lambda n, body: (500, {}, {"e": 1}) if n == 1 else (200, {}, {"done": n}))
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "call",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/flaky"},
                retry={"max_attempts": 3, "backoff_s": 0.2},
            ),
        ],
        [edge("t", "call")],
    )
    run = run_flow(builder, doc)
    row = NodeRun.objects.get(run=run, node_id="call")
    assert row.status == NodeStatus.RETRYING and row.next_attempt_at is not None
    assert run.events.filter(type="node.retrying").exists()
    time.sleep(0.3)
    Engine(run.pk).drive()  # what the countdown task (or the sweeper) does when the time comes
    run.refresh_from_db()
    row.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and row.attempt == 2
    assert run.output_items == [{"done": 2}]
    assert endpoint.calls["/flaky"] == 2


def test_continue_on_error_passes_input_through(builder, eager, endpoint):
    endpoint.route("/bad", lambda n, body: (400, {}, {}))
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "call", "http.request", {"method": "POST", "url": endpoint.url + "/bad"}, on_error="continue"
            ),
            node("after", "transform.map", {"fields": [{"name": "seen", "value": "{{ true }}"}]}),
        ],
        [edge("t", "call"), edge("call", "after")],
    )
    run = run_flow(builder, doc, [{"id": 7}])
    assert run.status == RunStatus.SUCCEEDED
    assert run.output_items == [{"id": 7, "seen": True}]


def test_disabled_node_passes_items_through(builder, eager):
    doc = document(
        [
            node("t", "trigger.manual"),
            node("m", "transform.map", {"fields": [{"name": "x", "value": "1"}]}, disabled=True),
        ],
        [edge("t", "m")],
    )
    run = run_flow(builder, doc, [{"a": 1}])
    assert run.output_items == [{"a": 1}]


def test_stale_claim_is_fenced_and_the_run_resumes_without_repeating_finished_nodes(
    builder, eager, endpoint, settings
):
    settings.FLOWBUILDER_STALE_AFTER_S = 0.5
    doc = document(
        [
            node("t", "trigger.manual"),
            node("a", "http.request", {"method": "POST", "url": endpoint.url + "/a"}),
            node("b", "http.request", {"method": "POST", "url": endpoint.url + "/b"}),
        ],
        [edge("t", "a"), edge("a", "b")],
    )
    flow = publish(builder, doc)
    run = actions.start_run(actor=builder, flow=flow, input_items=[{}])
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    # Pretend the worker died while running "b": its row is claimed, the run is active and stale.
    b = NodeRun.objects.get(run=run, node_id="b")
    NodeRun.objects.filter(pk=b.pk).update(status=NodeStatus.RUNNING, claim_token=7, heartbeat_at=None)
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        heartbeat_at=None,
        finished_at=None,
        created_at=timezone.now() - timedelta(minutes=1),
    )
    result = sweep()
    assert result["fenced_nodes"] == 1 and result["resumed_runs"] == 1
    run.refresh_from_db()
    b.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.deliveries == 1
    assert b.claim_token > 7 and b.attempt == 2
    assert endpoint.calls["/a"] == 1 and endpoint.calls["/b"] == 2
    # A zombie writing under the old token is refused.
    assert NodeRun.objects.filter(pk=b.pk, claim_token=7).update(status=NodeStatus.FAILED) == 0


def test_poison_run_fails_after_too_many_deliveries(builder, eager, settings):
    settings.FLOWBUILDER_MAX_DELIVERIES = 2
    flow = publish(builder, chain(1, trigger="trigger.manual"))
    run = actions.start_run(actor=builder, flow=flow, input_items=[{"n": 0}])
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, deliveries=2, heartbeat_at=None)
    from flowbuilder.execution.durability import count_delivery

    assert count_delivery(run.pk) is False
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error["type"] == "PoisonRun"


def test_retry_from_failed_node_reuses_what_succeeded(builder, eager, endpoint):
    state = {"fail": True}
    endpoint.route("/b", lambda n, body: (400, {}, {}) if state["fail"] else (200, {}, {"b": "ok"}))
    doc = document(
        [
            node("t", "trigger.manual"),
            node("a", "http.request", {"method": "POST", "url": endpoint.url + "/a"}),
            node("b", "http.request", {"method": "POST", "url": endpoint.url + "/b"}),
        ],
        [edge("t", "a"), edge("a", "b")],
    )
    run = run_flow(builder, doc)
    assert run.status == RunStatus.FAILED
    state["fail"] = False
    retried = actions.retry_run(actor=builder, run=run)
    retried.refresh_from_db()
    assert retried.status == RunStatus.SUCCEEDED and retried.replay_of_id == run.pk
    assert endpoint.calls["/a"] == 1 and endpoint.calls["/b"] == 2


def test_cancel_stops_a_queued_run(builder):
    flow = publish(builder, chain(2, trigger="trigger.manual"))
    run = actions.start_run(actor=builder, flow=flow, input_items=[{"n": 0}])  # not eager: stays queued
    actions.cancel_run(actor=builder, run=run)
    Engine(run.pk).drive()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert not NodeRun.objects.filter(run=run).exists()


def test_terminal_status_is_never_overwritten(builder, eager):
    run = run_flow(builder, chain(2, trigger="trigger.manual"))
    assert run.status == RunStatus.SUCCEEDED
    Engine(run.pk).drive()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.events.filter(type="run.succeeded").count() == 1


def test_cancel_while_a_node_runs_keeps_every_event_in_sequence(builder, eager, endpoint):
    """The node that was running when the run was cancelled still reports; its event takes the next seq
    and the run's last_seq follows, so later events (a retry, a replay note) cannot collide."""
    cancelled = {}

    def cancel_meanwhile(n, body):
        try:  # the endpoint's own thread: an operator cancelling from another connection
            cancelled["run"] = actions.cancel_run(actor=builder, run=Run.objects.get(flow__name="f"))
        finally:
            connection.close()
        return 200, {}, {"ok": True}

    endpoint.route("/slow", cancel_meanwhile)
    doc = call_between_trigger_and_noop(endpoint.url + "/slow")
    run = run_flow(builder, doc)
    assert run.status == RunStatus.CANCELLED and "run" in cancelled
    events = list(run.events.order_by("seq").values_list("seq", "type", "node_id"))
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
    assert ("node.succeeded", "call") in [(t, n) for _, t, n in events]
    assert run.last_seq == events[-1][0]
    assert "after" not in statuses(run)


def test_webhook_runs_are_stored_in_one_statement_like_the_orm_would(builder, monkeypatch):
    """Outside a transaction on PostgreSQL a system-started run and its first event are one INSERT;
    the rows are the same as the ORM path's."""
    from flowbuilder.execution import bulk

    flow = publish(builder, chain(1, trigger="trigger.webhook"))
    assert bulk.can_insert_run_in_one_statement()

    def start(n):
        run = actions.start_run(
            actor=None, flow=flow, input_items=[{"n": n}], origin="webhook", options={"x": n}
        )
        return Run.objects.get(pk=run.pk), run

    fast, returned = start(1)
    monkeypatch.setattr(actions, "can_insert_run_in_one_statement", lambda: False)
    orm, _ = start(2)
    assert returned.pk == fast.pk and returned.created_at == fast.created_at
    for run, n in ((fast, 1), (orm, 2)):
        assert (run.status, run.origin, run.last_seq, run.version_id) == (
            "queued",
            "webhook",
            1,
            flow.published_version_id,
        )
        assert (run.input_items, run.options, run.organisation_id) == (
            [{"n": n}],
            {"x": n},
            flow.organisation_id,
        )
        assert run.correlation_id and run.created_by_id is None
        [event] = run.events.all()
        assert (event.seq, event.type, event.node_id, event.at) == (1, "run.queued", "", run.created_at)
        assert event.payload == {"status": "queued", "origin": "webhook"}


def test_running_one_node_with_a_predecessor_uses_pinned_input_and_finishes(builder, eager):
    # "Run this node" on m1 of t -> m0 -> m1 -> m2: only m1 runs, fed by m0's pinned items.
    flow = publish(builder, chain(3))
    run = actions.start_run(
        actor=builder,
        flow=flow,
        input_items=[{"n": 0}],
        options={"only_node": "m1", "pinned": {"m0": [{"n": 41}]}},
    )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert statuses(run) == {"m1": NodeStatus.SUCCEEDED}
    assert NodeRun.objects.get(run=run, node_id="m1").output_items == {"main": [{"n": 42}]}


def served_fetch(endpoint, path, body, items_path):
    """A node "fetch" that GETs ``body`` from the test endpoint at ``path`` and takes its items from
    ``items_path``."""
    endpoint.route(path, lambda n, _body: (200, {}, body))
    return node(
        "fetch", "http.request", {"method": "GET", "url": endpoint.url + path, "items_path": items_path}
    )


def test_large_results_are_stored_whole_and_consumed_outputs_are_read_back_when_named(
    builder, eager, endpoint, monkeypatch
):
    # "fetch" is written in its own step; once "tag" consumed it, the engine forgets it, so "late" (which
    # names it in an expression) reads it back from the database. "tag" has 1,200 items: written alone.
    numbers = list(range(1200))
    doc = document(
        [
            node("t", "trigger.manual"),
            served_fetch(endpoint, "/rates", {"items": [{"value": n, "rate": 3} for n in numbers]}, "items"),
            node(
                "tag",
                "transform.map",
                {"keep_other_fields": False, "fields": [{"name": "v", "value": "{{ $item.value }}"}]},
            ),
            node(
                "late",
                "transform.map",
                {"fields": [{"name": "v", "value": "{{ $item.v * $node.fetch.items[0].rate }}"}]},
            ),
        ],
        [edge("t", "fetch"), edge("fetch", "tag"), edge("tag", "late")],
    )
    released, release = [], Engine._release_consumed

    def spy(engine, *candidates):
        before = set(engine.outputs)
        release(engine, *candidates)
        released.extend(before - set(engine.outputs))

    monkeypatch.setattr(Engine, "_release_consumed", spy)
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert "fetch" in released
    assert [item["v"] for item in run.output_items] == [3 * n for n in numbers]
    stored = NodeRun.objects.get(run=run, node_id="tag").output_items["main"]
    assert stored == [{"v": n} for n in numbers]
    assert endpoint.calls["/rates"] == 1


@pytest.fixture
def streamed(monkeypatch):
    """Spooling from 50 items (chunks of 16); the ids of the nodes whose spooled output the engine streamed
    into their node run (``write_large_outputs``), in order."""
    from flowbuilder.core import item_spool
    from flowbuilder.execution import engine as engine_module

    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 50)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 16)
    node_ids, write = [], engine_module.write_large_outputs

    def spy(run_id, node_id, outputs):
        node_ids.append(node_id)
        write(run_id, node_id, outputs)

    monkeypatch.setattr(engine_module, "write_large_outputs", spy)
    return node_ids


def test_long_item_lists_flow_spooled_and_are_stored_whole(builder, eager, endpoint, monkeypatch, streamed):
    # Spooling from 50 items: the paged fetch (120 records), the map, the filter and the batches each hand
    # the next node a spooled list, and each is stored in its node run through COPY, text intact.
    from flowbuilder.core import item_spool
    from flowbuilder.execution import engine as engine_module

    reread, read = [], engine_module.read_outputs

    def read_spy(run_id, node_id):
        status, outputs = read(run_id, node_id)
        if item_spool.is_spooled(outputs.get("main")):
            reread.append(node_id)
        return status, outputs

    monkeypatch.setattr(engine_module, "read_outputs", read_spy)
    records = [{"id": n, "name": f'Zoë "{n}" \\ tab\t', "amount": n % 3} for n in range(120)]

    def page(n, body):
        following = f"/accounts?page={n + 1}" if n < 3 else None
        return 200, {}, {"records": records[(n - 1) * 40 : n * 40], "next": following}

    endpoint.route("/accounts", page)
    paging = {"mode": "next_url", "next_path": "next"}
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "fetch",
                "http.request",
                {
                    "method": "GET",
                    "url": endpoint.url + "/accounts",
                    "items_path": "records",
                    "pagination": paging,
                },
            ),
            node(
                "map",
                "transform.map",
                {
                    "keep_other_fields": False,
                    "fields": [
                        {"name": "key", "value": "{{ $item.id }}"},
                        {"name": "label", "value": "{{ $item.name }}"},
                        {"name": "amount", "value": "{{ $item.amount }}"},
                    ],
                },
            ),
            node("paying", "transform.filter", {"condition": "$item.amount > 0"}),
            node("batches", "transform.split_batches", {"batch_size": 25}),
            node(
                "post",
                "http.request",
                {"method": "POST", "url": endpoint.url + "/sink", "body": {"rows": "{{ $item.batch }}"}},
            ),
            node("count", "flow.noop"),
            node("copy", "flow.noop"),
            node(
                "late",
                "transform.map",
                {"fields": [{"name": "first", "value": "{{ $node.fetch.items[119].id }}"}]},
            ),
        ],
        [
            edge("t", "fetch"),
            edge("fetch", "map"),
            edge("map", "paying"),
            edge("paying", "batches"),
            edge("batches", "post"),
            edge("paying", "count", "rejected"),
            edge("map", "copy"),
            edge("copy", "late"),
        ],
    )
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert set(streamed) == {"fetch", "map", "paying", "batches", "late"}
    mapped = [{"key": r["id"], "label": r["name"], "amount": r["amount"]} for r in records]
    kept = [m for m in mapped if m["amount"] > 0]
    stored = {nr.node_id: nr.output_items for nr in NodeRun.objects.filter(run=run)}
    assert stored["fetch"] == {"main": records}
    assert stored["map"] == {"main": mapped}
    assert stored["paying"] == {"main": kept, "rejected": [m for m in mapped if m["amount"] == 0]}
    assert [b["batch"] for b in stored["batches"]["main"]] == [kept[i : i + 25] for i in range(0, 80, 25)]
    assert [b["rows"] for b in endpoint.bodies["/sink"]] == [kept[i : i + 25] for i in range(0, 80, 25)]
    assert stored["count"] == {"main": [m for m in mapped if m["amount"] == 0]}
    assert stored["copy"] == {"main": mapped}  # a node that does not stream got the spooled list as a list
    # "fetch" was forgotten once "map" consumed it; the expression naming it read it back a chunk at a time.
    assert reread == ["fetch"], reread
    assert stored["late"]["main"][0]["first"] == 119, stored["late"]["main"][0]


def test_sort_route_and_merge_pass_long_lists_on_spooled(builder, eager, endpoint, streamed):
    # Sort, if and merge stream: a long input reaches them spooled and leaves them spooled, stored whole.
    records = [{"id": n, "amount": (n * 7) % 11} for n in range(120)]
    doc = document(
        [
            node("t", "trigger.manual"),
            served_fetch(endpoint, "/accounts", {"records": records}, "records"),
            node("sort", "transform.sort", {"field": "amount", "order": "desc"}),
            node("route", "logic.if", {"condition": "$item.amount > 5"}),
            node("merge", "logic.merge", {"mode": "append"}),
        ],
        [
            edge("t", "fetch"),
            edge("fetch", "sort"),
            edge("sort", "route"),
            edge("route", "merge", "true", "a"),
            edge("route", "merge", "false", "b"),
        ],
    )
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert set(streamed) == {"fetch", "sort", "route", "merge"}
    by_amount = sorted(records, key=lambda r: r["amount"], reverse=True)  # stable, as the node's sort
    stored = {nr.node_id: nr.output_items for nr in NodeRun.objects.filter(run=run)}
    assert stored["sort"] == {"main": by_amount}
    high, low = [r for r in by_amount if r["amount"] > 5], [r for r in by_amount if r["amount"] <= 5]
    assert stored["route"] == {"true": high, "false": low}
    assert stored["merge"] == {"main": high + low}


def test_a_large_single_response_is_parsed_record_by_record_past_the_memory_cap(builder, eager, endpoint):
    # 60,000 records in one 11+ MiB answer (over the client's 10 MiB in-memory cap): kept on disk, parsed
    # record by record, spooled on to the next node. A big single object without an items path is one item.
    records = [
        {"id": n, "name": f"Customer {n:06d}", "note": "x" * 150, "score": n / 4} for n in range(60_000)
    ]
    export = {"data": {"items": records, "total": len(records)}}
    profile = {"id": "p1", "blob": "y" * 1_500_000}
    endpoint.route("/export", lambda n, body: (200, {}, export))
    endpoint.route("/profile", lambda n, body: (200, {}, profile))
    doc = document(
        [
            node("t", "trigger.manual"),
            node(
                "export",
                "http.request",
                {"method": "GET", "url": endpoint.url + "/export", "items_path": "data.items"},
            ),
            node(
                "keys",
                "transform.map",
                {"keep_other_fields": False, "fields": [{"name": "k", "value": "{{ $item.id }}"}]},
            ),
            node("profile", "http.request", {"method": "GET", "url": endpoint.url + "/profile"}),
        ],
        [edge("t", "export"), edge("export", "keys"), edge("t", "profile")],
    )
    assert len(json.dumps(export)) > 10 * 1024 * 1024
    run = run_flow(builder, doc)
    assert run.status == RunStatus.SUCCEEDED, run.error
    stored = {nr.node_id: nr for nr in NodeRun.objects.filter(run=run)}
    assert stored["export"].output_counts == {"main": 60_000}
    assert stored["export"].output_items["main"] == records
    assert stored["keys"].output_items["main"] == [{"k": n} for n in range(60_000)]
    assert stored["profile"].output_items == {"main": [profile]}
