from __future__ import annotations

import pytest

from flowbuilder.core.errors import NodeError, RetryableNodeError
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.expressions import ExpressionError
from flowbuilder.validation.node_checks import config_findings
from tests.support.spooled import read_in_order_only

BUILTINS = [
    "trigger.manual",
    "trigger.webhook",
    "transform.map",
    "transform.filter",
    "logic.if",
    "logic.switch",
    "logic.merge",
    "transform.split_batches",
    "transform.sort",
    "transform.dedupe",
    "transform.aggregate",
    "http.request",
    "flow.subflow",
    "flow.noop",
]


@pytest.mark.parametrize("type_id", BUILTINS)
def test_every_builtin_is_registered_with_palette_metadata(registry, type_id):
    cls = registry.get(type_id)
    assert cls is not None
    described = cls.describe()
    assert described["label"] and described["icon"] and described["description"] and described["docs"]
    assert described["config_schema"]["type"] == "object"
    for field in cls.expression_fields:
        top = field.split(".")[0].removesuffix("[]")
        assert top in cls.config_schema["properties"]


def test_triggers_pass_run_input_through(make_node, ctx):
    items = [{"a": 1}, {"a": 2}]
    for type_id in ("trigger.manual", "trigger.webhook", "flow.noop"):
        assert make_node(type_id, {}).run(ctx, {"main": items}) == {"main": items}
    assert make_node("trigger.manual", {}).run(ctx, {}) == {"main": []}


def test_map_w1_shape_and_no_mutation(make_node, ctx):
    node = make_node("transform.map", {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]})
    item = {"n": 0, "keep": "x"}
    assert node.run(ctx, {"main": [item]}) == {"main": [{"n": 1, "keep": "x"}]}
    assert item == {"n": 0, "keep": "x"}


def test_map_dot_paths_literals_and_drop_other_fields(make_node, ctx):
    node = make_node(
        "transform.map",
        {
            "fields": [
                {"name": "customer.name", "value": "Hi {{ $item.first }}"},
                {"name": "customer.id", "value": 7},
                {"name": "pos", "value": "{{ $index }}"},
            ],
            "keep_other_fields": False,
        },
    )
    out = node.run(ctx, {"main": [{"first": "Ann", "customer": {"tier": "g"}}, {"first": "Bo"}]})["main"]
    assert out == [
        {"customer": {"name": "Hi Ann", "id": 7}, "pos": 0},
        {"customer": {"name": "Hi Bo", "id": 7}, "pos": 1},
    ]


def test_map_keeps_data_templates_literal(make_node, ctx):
    node = make_node("transform.map", {"fields": [{"name": "copy", "value": "{{ $item.body }}"}]})
    out = node.run(ctx, {"main": [{"body": "{{ $item.secret }}", "secret": "s"}]})["main"][0]
    assert out["copy"] == "{{ $item.secret }}"


def test_map_duplicate_fields_are_reported(registry):
    cls = registry.get("transform.map")
    config = {"fields": [{"name": "a", "value": 1}, {"name": "a", "value": 2}, {"name": "b..c", "value": 1}]}
    fields = [f for f, _ in cls.extra_findings(config)]
    assert fields == ["fields.1.name", "fields.2.name"]


def test_filter_and_if_route_items(make_node, ctx):
    items = [{"n": i} for i in range(5)]
    out = make_node("transform.filter", {"condition": "$item.n >= 3"}).run(ctx, {"main": items})
    assert [i["n"] for i in out["main"]] == [3, 4] and [i["n"] for i in out["rejected"]] == [0, 1, 2]
    out = make_node("logic.if", {"condition": "{{ $item.n % 2 = 0 }}"}).run(ctx, {"main": items})
    assert [i["n"] for i in out["true"]] == [0, 2, 4] and [i["n"] for i in out["false"]] == [1, 3]


def test_bad_expression_at_runtime_is_a_node_error(make_node, ctx):
    with pytest.raises(ExpressionError):
        make_node("logic.if", {"condition": "$item.s + 1"}).run(ctx, {"main": [{"s": "x"}]})


def test_switch_first_and_all_modes_and_dynamic_ports(registry, make_node, ctx):
    rules = [{"port": "big", "condition": "$item.n > 10"}, {"condition": "$item.n > 5"}]
    cls = registry.get("logic.switch")
    assert [p.name for p in cls.output_ports({"rules": rules})] == ["big", "case_1", "fallback"]
    items = [{"n": 1}, {"n": 7}, {"n": 20}]
    first = make_node("logic.switch", {"rules": rules}).run(ctx, {"main": items})
    assert first == {"big": [{"n": 20}], "case_1": [{"n": 7}], "fallback": [{"n": 1}]}
    every = make_node("logic.switch", {"rules": rules, "mode": "all"}).run(ctx, {"main": items})
    assert every["case_1"] == [{"n": 7}, {"n": 20}]
    bad = cls.extra_findings(
        {
            "rules": [
                {"port": "x", "condition": "1"},
                {"port": "x", "condition": "1"},
                {"port": "fallback", "condition": "1"},
                {"port": "Bad-Name", "condition": "1"},
            ]
        }
    )
    assert [f for f, _ in bad] == ["rules.1.port", "rules.2.port", "rules.3.port"]


def test_merge_modes(make_node, ctx):
    a = [{"id": 1, "x": "a1"}, {"id": 2, "x": "a2"}, {"id": None, "x": "a3"}]
    b = [{"id": 2, "y": "b2"}, {"id": 3, "y": "b3"}, {"id": None, "y": "bn"}]
    assert make_node("logic.merge", {}).run(ctx, {"a": a, "b": b})["main"] == a + b
    assert make_node("logic.merge", {}).run(ctx, {"a": a})["main"] == a
    left = make_node("logic.merge", {"mode": "merge_by_key", "key_fields": ["id"]}).run(ctx, {"a": a, "b": b})
    assert left["main"] == [{"id": 1, "x": "a1"}, {"id": 2, "x": "a2", "y": "b2"}, {"id": None, "x": "a3"}]
    inner = make_node("logic.merge", {"mode": "merge_by_key", "key_fields": ["id"], "join": "inner"})
    assert inner.run(ctx, {"a": a, "b": b})["main"] == [{"id": 2, "x": "a2", "y": "b2"}]
    outer = make_node("logic.merge", {"mode": "merge_by_key", "key_fields": ["id"], "join": "outer"})
    assert {"id": 3, "y": "b3"} in outer.run(ctx, {"a": a, "b": b})["main"]
    pairs = make_node("logic.merge", {"mode": "pair_by_index"}).run(ctx, {"a": a[:2], "b": b})
    assert pairs["main"] == [{"id": 2, "x": "a1", "y": "b2"}, {"id": 3, "x": "a2", "y": "b3"}]
    unpaired = make_node("logic.merge", {"mode": "pair_by_index", "include_unpaired": True})
    assert len(unpaired.run(ctx, {"a": a[:1], "b": b})["main"]) == 3
    assert make_node("logic.merge", {}).always_runs


def test_split_batches(make_node, ctx):
    items = [{"i": i} for i in range(7)]
    out = make_node("transform.split_batches", {"batch_size": 3}).run(ctx, {"main": items})["main"]
    assert [len(o["batch"]) for o in out] == [3, 3, 1] and [o["batch_index"] for o in out] == [0, 1, 2]
    assert [i for o in out for i in o["batch"]] == items


def test_sort_by_field_and_expression_stable_missing_last(make_node, ctx):
    items = [{"k": 2, "t": "a"}, {"t": "b"}, {"k": 1, "t": "c"}, {"k": 2, "t": "d"}, {"k": "x", "t": "e"}]
    asc = make_node("transform.sort", {"field": "k"}).run(ctx, {"main": items})["main"]
    assert [i["t"] for i in asc] == ["c", "a", "d", "e", "b"]
    desc = make_node("transform.sort", {"field": "k", "order": "desc"}).run(ctx, {"main": items})["main"]
    assert [i["t"] for i in desc] == ["e", "a", "d", "c", "b"]
    expr = make_node("transform.sort", {"key_expression": "$length($item.t & $item.t)", "order": "asc"})
    assert [i["t"] for i in expr.run(ctx, {"main": items})["main"]] == ["a", "b", "c", "d", "e"]


def test_dedupe_first_last_and_whole_items(make_node, ctx):
    items = [{"e": "A", "v": 1}, {"e": "b", "v": 2}, {"e": "a", "v": 3}, {"e": "A", "v": 4}]
    first = make_node("transform.dedupe", {"key_fields": ["e"]}).run(ctx, {"main": items})["main"]
    assert [i["v"] for i in first] == [1, 2, 3]
    last = make_node("transform.dedupe", {"key_fields": ["e"], "keep": "last"}).run(ctx, {"main": items})[
        "main"
    ]
    assert [i["v"] for i in last] == [2, 3, 4]
    by_expr = make_node("transform.dedupe", {"key_expression": "$lowercase($item.e)"})
    assert [i["v"] for i in by_expr.run(ctx, {"main": items})["main"]] == [1, 2]
    whole = make_node("transform.dedupe", {}).run(ctx, {"main": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]})
    assert len(whole["main"]) == 1


def test_aggregate_groups_and_ops(make_node, ctx):
    items = [
        {"c": "x", "amt": 10, "tag": "a"},
        {"c": "y", "amt": 5},
        {"c": "x", "amt": 20, "tag": "b"},
        {"c": "x", "amt": None},
    ]
    aggs = [
        {"op": "count", "as": "n"},
        {"field": "amt", "op": "sum", "as": "total"},
        {"field": "amt", "op": "avg", "as": "avg"},
        {"field": "amt", "op": "min", "as": "min"},
        {"field": "amt", "op": "max", "as": "max"},
        {"field": "tag", "op": "list", "as": "tags"},
        {"field": "tag", "op": "count", "as": "tagged"},
    ]
    out = make_node("transform.aggregate", {"group_by": ["c"], "aggregations": aggs}).run(
        ctx, {"main": items}
    )
    by_c = {row["c"]: row for row in out["main"]}
    assert by_c["x"] == {
        "c": "x",
        "n": 3,
        "total": 30,
        "avg": 15,
        "min": 10,
        "max": 20,
        "tags": ["a", "b"],
        "tagged": 2,
    }
    assert by_c["y"]["n"] == 1 and by_c["y"]["tags"] == []
    empty = make_node("transform.aggregate", {"aggregations": aggs}).run(ctx, {"main": []})["main"]
    assert empty == [{"n": 0, "total": 0, "avg": None, "min": None, "max": None, "tags": [], "tagged": 0}]
    with pytest.raises(NodeError):
        make_node("transform.aggregate", {"aggregations": [{"field": "c", "op": "sum", "as": "s"}]}).run(
            ctx, {"main": items}
        )


def test_dedupe_aggregate_and_explode_read_a_spooled_input_a_chunk_at_a_time(make_node, ctx, monkeypatch):
    from flowbuilder.core import item_spool
    from flowbuilder.core.item_spool import ItemBuffer, is_spooled

    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 20)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 7)
    items = [{"k": n % 9, "amt": n, "parts": [n, -n]} for n in range(60)]
    buffer = ItemBuffer()
    buffer.extend(items)
    spooled = buffer.result()
    assert is_spooled(spooled)
    for type_, config in [
        ("transform.dedupe", {"key_fields": ["k"]}),
        ("transform.dedupe", {"key_fields": ["k"], "keep": "last"}),
        ("transform.dedupe", {}),
        (
            "transform.aggregate",
            {"group_by": ["k"], "aggregations": [{"field": "amt", "op": "sum", "as": "s"}]},
        ),
        ("transform.explode", {"field": "parts", "as": "part"}),
    ]:
        assert make_node(type_, config).streams_items, type_  # the engine hands it the spooled list as is
        from_disk = make_node(type_, config).run(ctx, {"main": spooled})["main"]
        in_memory = make_node(type_, config).run(ctx, {"main": items})["main"]
        assert list(from_disk) == list(in_memory), (type_, config)
    last = make_node("transform.dedupe", {"key_fields": ["k"], "keep": "last"}).run(ctx, {"main": spooled})
    assert [i["amt"] for i in last["main"]] == list(range(51, 60))
    exploded = make_node("transform.explode", {"field": "parts", "as": "part"}).run(ctx, {"main": spooled})
    assert is_spooled(exploded["main"]) and len(exploded["main"]) == 120  # a long output spools too


def test_sort_merge_if_and_switch_stream_a_spooled_input_and_spool_a_long_output(make_node, ctx, monkeypatch):
    from flowbuilder.core import item_spool
    from flowbuilder.core.item_spool import is_spooled

    monkeypatch.setattr(item_spool, "SPOOL_AFTER", 20)
    monkeypatch.setattr(item_spool, "CHUNK_ITEMS", 7)
    spool = read_in_order_only

    a = [{"k": n % 13, "n": n, "amt": (n * 37) % 50 if n % 5 else None} for n in range(60)]
    b = [{"k": k, "name": f"k{k}"} for k in (*range(3, 40), 3)]  # 3 twice: the first wins
    cases = [
        ("transform.sort", {"field": "amt"}),
        ("transform.sort", {"field": "amt", "order": "desc"}),
        ("transform.sort", {"key_expression": "$item.k * 100 - $item.n"}),
        ("logic.merge", {"mode": "append"}),
        ("logic.merge", {"mode": "pair_by_index"}),
        ("logic.merge", {"mode": "pair_by_index", "include_unpaired": True}),
        ("logic.merge", {"mode": "merge_by_key", "key_fields": ["k"]}),
        ("logic.merge", {"mode": "merge_by_key", "key_fields": ["k"], "join": "inner"}),
        ("logic.merge", {"mode": "merge_by_key", "key_fields": ["k"], "join": "outer"}),
        ("logic.if", {"condition": "$item.n % 3 = 0"}),
        (
            "logic.switch",
            {"rules": [{"condition": "$item.k < 4"}, {"condition": "$item.k < 8"}], "mode": "all"},
        ),
    ]
    for type_, config in cases:
        node = make_node(type_, config)
        assert node.streams_items, type_  # the engine hands it the spooled list as is
        ports = ("a", "b") if type_ == "logic.merge" else ("main",)
        in_memory = node.run(ctx, dict(zip(ports, (a, b), strict=False)))
        from_disk = node.run(ctx, {port: spool(items) for port, items in zip(ports, (a, b), strict=False)})
        assert {p: list(v) for p, v in from_disk.items()} == {p: list(v) for p, v in in_memory.items()}, (
            config
        )
    by_amount = make_node("transform.sort", {"field": "amt"}).run(ctx, {"main": spool(a)})["main"]
    # Stable, missing values last: what Python's stable sort gives the items that have an amount.
    expected = sorted((i for i in a if i["amt"] is not None), key=lambda i: i["amt"])
    expected += [i for i in a if i["amt"] is None]
    assert is_spooled(by_amount) and [i["n"] for i in by_amount] == [i["n"] for i in expected]
    joined = make_node("logic.merge", {"mode": "merge_by_key", "key_fields": ["k"], "join": "outer"}).run(
        ctx, {"a": spool(a), "b": spool(b)}
    )["main"]
    assert is_spooled(joined) and len(joined) == 60 + 27  # B's keys 13..39 match no A item
    assert next(i for i in joined if i["k"] == 3)["name"] == "k3"


class FakeResponse:
    def __init__(self, status=200, body=None, headers=None, text=None):
        self.status = status
        self._body = body
        self.headers = headers or {}
        self.text = text if text is not None else ""

    def json(self):
        if self._body is None:
            raise ValueError("not json")
        return self._body


class FakeClient:
    def __init__(self, responses):
        self.responses = list(responses)
        self.calls = []

    def request(self, method, url, *, params=None, headers=None, json=None, data=None, **kwargs):
        self.calls.append(
            {"method": method, "url": url, "params": params, "headers": headers, "json": json, "data": data}
        )
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(response, Exception):
            raise response
        return response


def http_ctx(client, connections=None):
    def factory(connection_id):
        (connections if connections is not None else []).append(connection_id)
        return client

    return NodeContext(run_id=9, node_id="h1", organisation_id=1, http_client=factory)


def test_http_per_item_requests_with_templates_and_idempotency(make_node):
    client = FakeClient([FakeResponse(201, {"id": "r1"})])
    seen = []
    node = make_node(
        "http.request",
        {
            "method": "POST",
            "url": "https://api.example.com/c/{{ $item.id }}",
            "connection": "conn_1",
            "query": {"q": "{{ $item.name }}"},
            "headers": {"X-Trace": "{{ $index }}"},
            "body": {"name": "{{ $item.name }}", "n": "{{ $item.id * 2 }}"},
        },
    )
    out = node.run(http_ctx(client, seen), {"main": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]})
    assert out == {"main": [{"id": "r1"}, {"id": "r1"}]}
    assert seen == ["conn_1"]
    first, second = client.calls
    assert first["url"] == "https://api.example.com/c/1" and first["params"] == {"q": "A"}
    assert first["json"] == {"name": "A", "n": 2} and second["json"] == {"name": "B", "n": 4}
    assert (
        first["headers"]["Idempotency-Key"] == "fb-9-h1-0"
        and second["headers"]["Idempotency-Key"] == "fb-9-h1-1"
    )
    assert first["headers"]["X-Trace"] == "0"


def test_http_get_has_no_idempotency_key_and_items_path(make_node):
    client = FakeClient([FakeResponse(200, {"data": {"items": [{"a": 1}, 2]}})])
    node = make_node("http.request", {"url": "https://x.test/list", "items_path": "data.items"})
    assert node.run(http_ctx(client), {"main": [{}]}) == {"main": [{"a": 1}, {"value": 2}]}
    assert "Idempotency-Key" not in client.calls[0]["headers"]
    assert client.calls[0]["json"] is None


def test_http_batch_sends_one_request(make_node):
    client = FakeClient([FakeResponse(200, {"ok": True})])
    node = make_node(
        "http.request",
        {"method": "POST", "url": "https://x.test/bulk", "batch": True, "body": {"n": "{{ $item.n }}"}},
    )
    out = node.run(http_ctx(client), {"main": [{"n": 1}, {"n": 2}]})
    assert len(client.calls) == 1 and client.calls[0]["json"] == {"records": [{"n": 1}, {"n": 2}]}
    assert out == {"main": [{"ok": True}]}


@pytest.mark.parametrize(
    ("response", "error", "retry_after"),
    [
        (FakeResponse(429, {"e": 1}, {"Retry-After": "7"}), RetryableNodeError, 7.0),
        (FakeResponse(503, None, text="down"), RetryableNodeError, None),
        (FakeResponse(404, {"e": "nope"}), NodeError, None),
    ],
)
def test_http_status_errors(make_node, response, error, retry_after):
    node = make_node("http.request", {"method": "PUT", "url": "https://x.test/a?token=SECRET"})
    with pytest.raises(error) as err:
        node.run(http_ctx(FakeClient([response])), {"main": [{}]})
    assert type(err.value) is error
    assert "SECRET" not in err.value.message
    if error is RetryableNodeError:
        assert err.value.retry_after == retry_after


def test_http_status_errors_can_be_turned_off(make_node):
    node = make_node("http.request", {"url": "https://x.test/a", "fail_on_status": False, "output": "full"})
    out = node.run(http_ctx(FakeClient([FakeResponse(404, {"e": 1}, {"A": "b"})])), {"main": [{}]})
    assert out == {"main": [{"status": 404, "headers": {"A": "b"}, "body": {"e": 1}}]}


class TransientError(Exception):
    retryable = True

    def __init__(self, msg, retry_after=None):
        super().__init__(msg)
        self.retry_after = retry_after


class DeniedError(Exception):
    pass


def test_http_client_errors_are_classified_by_duck_typing(make_node):
    node = make_node("http.request", {"url": "https://x.test/a"})
    with pytest.raises(RetryableNodeError) as err:
        node.run(http_ctx(FakeClient([TransientError("timeout", retry_after=3)])), {"main": [{}]})
    assert err.value.retry_after == 3
    with pytest.raises(NodeError) as err:
        node.run(http_ctx(FakeClient([DeniedError("egress denied: 10.0.0.1")])), {"main": [{}]})
    assert type(err.value) is NodeError and "egress denied" in err.value.message


def test_http_without_client_fails_clearly(make_node, ctx):
    with pytest.raises(NodeError):
        make_node("http.request", {"url": "https://x.test"}).run(ctx, {"main": [{}]})


def test_http_config_checks(registry):
    cls = registry.get("http.request")
    assert cls.extra_findings({"url": "ftp://x"})
    assert cls.extra_findings({"url": "https://x", "body": {"a": 1}})
    assert not cls.extra_findings({"url": "{{ $vars.base }}/x"})
    assert cls.side_effects and cls.default_retry["max_attempts"] == 3
    assert config_findings("h", cls, {"url": "https://x", "method": "BREW"})


def test_subflow_calls_context(make_node):
    calls = []

    def run_subflow(flow_id, items):
        calls.append((flow_id, items))
        return [{"done": True}]

    ctx = NodeContext(run_id=1, node_id="s", organisation_id=1, run_subflow=run_subflow)
    assert make_node("flow.subflow", {"flow_id": 12}).run(ctx, {"main": [{"a": 1}]}) == {
        "main": [{"done": True}]
    }
    assert calls == [(12, [{"a": 1}])]
    with pytest.raises(NodeError):
        make_node("flow.subflow", {"flow_id": 12}).run(
            NodeContext(run_id=1, node_id="s", organisation_id=1), {}
        )
