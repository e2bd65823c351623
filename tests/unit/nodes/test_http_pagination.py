"""The HTTP request node follows a paged API (issue 11, part 10): a next-page link, a page number or a
cursor, against a real local server through the safe client with a connection's token; a page limit
fails the node rather than drop records, and the token never follows a link to another host."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.http.auth import BearerAuth
from connectors.http.client import SafeClient
from flowbuilder.core.errors import NodeError
from flowbuilder.nodes.base import NodeContext
from tests.support.scripted_server import LOCAL, json_reply

RECORDS = [{"id": n} for n in range(1, 8)]  # 7 records, 3 per page: pages of 3, 3 and 1


def ctx(server) -> NodeContext:
    def factory(connection_id=None):
        return SafeClient(policy=LOCAL, base_url=server.url, auth=BearerAuth("tok-1"), retries=0)

    return NodeContext(run_id=1, node_id="h", organisation_id=1, http_client=factory)


def query(seen) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(seen.path).query).items()}


def node(registry, pagination, **config):
    base = {
        "method": "GET",
        "url": "/records",
        "connection": "c",
        "items_path": "data",
        "pagination": pagination,
    }
    return registry.get("http.request")({**base, **config})


def page_of(number: int) -> list[dict]:
    return RECORDS[(number - 1) * 3 : number * 3]


def test_next_page_links_are_followed_until_there_is_none(registry, server):
    def records(seen):
        number = int(query(seen).get("p", 1))
        following = f"/records?p={number + 1}" if number * 3 < len(RECORDS) else None
        return json_reply(200, json.dumps({"data": page_of(number), "links": {"next": following}}).encode())

    server.routes["/records"] = records
    out = node(registry, {"mode": "next_url", "next_path": "links.next"}, query={"limit": "3"}).run(
        ctx(server), {"main": [{}]}
    )
    assert out == {"main": RECORDS}
    assert [s.path for s in server.seen] == ["/records?limit=3", "/records?p=2", "/records?p=3"]
    assert all(s.headers["Authorization"] == "Bearer tok-1" for s in server.seen)


def test_page_numbers_count_up_until_an_empty_page(registry, server):
    server.routes["/records"] = lambda seen: json_reply(
        200, json.dumps({"data": page_of(int(query(seen)["page"]))}).encode()
    )
    out = node(registry, {"mode": "page"}, query={"limit": "3"}).run(ctx(server), {"main": [{}]})
    assert out == {"main": RECORDS}
    assert [query(s) for s in server.seen] == [{"limit": "3", "page": str(n)} for n in (1, 2, 3, 4)]


def test_a_cursor_from_the_body_is_sent_back_until_it_is_empty(registry, server):
    def records(seen):
        number = int(query(seen).get("after", 1))
        cursor = str(number + 1) if number * 3 < len(RECORDS) else ""
        return json_reply(200, json.dumps({"data": page_of(number), "meta": {"cursor": cursor}}).encode())

    server.routes["/records"] = records
    pagination = {"mode": "cursor", "cursor_path": "meta.cursor", "cursor_param": "after"}
    assert node(registry, pagination).run(ctx(server), {"main": [{}]}) == {"main": RECORDS}
    assert [query(s).get("after") for s in server.seen] == [None, "2", "3"]


def test_more_pages_than_the_limit_fail_the_node_instead_of_dropping_records(registry, server):
    server.routes["/records"] = lambda seen: json_reply(200, json.dumps({"data": [{"id": 1}]}).encode())
    with pytest.raises(NodeError) as caught:
        node(registry, {"mode": "page", "max_pages": 5}).run(ctx(server), {"main": [{}]})
    assert caught.value.field == "pagination" and "more than 5 pages" in caught.value.message
    assert len(server.seen) == 5


def test_the_token_never_follows_a_link_to_another_host(registry, server, other_server):
    server.routes["/records"] = lambda seen: json_reply(
        200, json.dumps({"data": [{"id": 1}], "next": other_server.url + "/steal"}).encode()
    )
    with pytest.raises(NodeError, match="another host"):
        node(registry, {"mode": "next_url", "next_path": "next"}).run(ctx(server), {"main": [{}]})
    assert other_server.seen == []


def test_the_editor_is_told_what_a_pagination_style_needs(registry):
    http = registry.get("http.request")
    assert http.extra_findings({"url": "https://x.example", "pagination": {"mode": "next_url"}}) == [
        ("pagination", "Pagination by next-page link needs the link's path in the response.")
    ]
    assert http.extra_findings({"url": "https://x.example", "pagination": {"mode": "page"}}) == []
