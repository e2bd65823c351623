"""Following a paged API page by page (the HTTP request node's Pagination setting).

Three styles cover the REST APIs flows meet: a link to the next page in the body (``next_url``: Kantata,
Salesforce's ``nextRecordsUrl``, NetSuite's ``links[rel=next]`` via a path), a page number in the query
(``page``), and an opaque cursor from the body sent back as a query parameter (``cursor``). A page
that yields no items ends it; so does a missing next link or cursor. More pages than ``max_pages`` fail
the node instead of silently dropping records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from flowbuilder.core.errors import NodeError

from ._helpers import get_path

MODES = ["none", "next_url", "page", "cursor"]
DEFAULT_MAX_PAGES = 100
MAX_PAGES_LIMIT = 10_000

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Pagination",
    "description": "Follow the pages of a paged API; each page's records become items.",
    "properties": {
        "mode": {"type": "string", "enum": MODES, "default": "none", "title": "Style"},
        "next_path": {
            "type": "string",
            "title": "Next-page link path",
            "description": "next_url: dot path to the next page's URL in the body, e.g. links.next",
        },
        "page_param": {"type": "string", "title": "Page parameter", "default": "page"},
        "first_page": {"type": "integer", "title": "First page number", "default": 1},
        "cursor_path": {
            "type": "string",
            "title": "Cursor path",
            "description": "cursor: dot path in the body",
        },
        "cursor_param": {"type": "string", "title": "Cursor parameter", "default": "cursor"},
        "max_pages": {
            "type": "integer",
            "title": "Max pages",
            "minimum": 1,
            "maximum": MAX_PAGES_LIMIT,
            "default": DEFAULT_MAX_PAGES,
        },
    },
    "additionalProperties": False,
}


def findings(paging: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the editor marks on the node before it runs."""
    mode = paging.get("mode", "none")
    if mode == "next_url" and not paging.get("next_path"):
        return [("pagination", "Pagination by next-page link needs the link's path in the response.")]
    if mode == "cursor" and not paging.get("cursor_path"):
        return [("pagination", "Pagination by cursor needs the cursor's path in the response.")]
    return []


# One page: (url, query params of this page or None to keep the configured ones) -> (items, parsed body).
FetchPage = Callable[[str, dict[str, Any] | None], tuple[list[dict[str, Any]], Any]]


def pages(paging: Mapping[str, Any], url: str, fetch: FetchPage) -> Iterator[list[dict[str, Any]]]:
    """The items of each page in turn, starting at ``url``."""
    mode = paging.get("mode", "none")
    limit = int(paging.get("max_pages") or DEFAULT_MAX_PAGES)
    page_param = str(paging.get("page_param") or "page")
    cursor_param = str(paging.get("cursor_param") or "cursor")
    number = int(paging.get("first_page", 1))
    extra: dict[str, Any] | None = {page_param: number} if mode == "page" else None
    for fetched in range(1, limit + 2):
        if fetched > limit:
            raise NodeError(
                f"The API has more than {limit} pages; nothing was passed on, so no record is lost.",
                field="pagination",
                hint="Raise Max pages, or narrow the request (a filter or a date range).",
            )
        items, body = fetch(url, extra)
        yield items
        if mode == "none" or not items:
            return
        if mode == "next_url":
            following = (
                get_path(body, str(paging.get("next_path"))) if isinstance(body, dict | list) else None
            )
            if not following:
                return
            target = urljoin(url, str(following))
            if urlsplit(target)[:2] != urlsplit(url)[:2]:
                # A connection's token must not follow a link to another host.
                raise NodeError(
                    f"The next-page link points to another host ({urlsplit(target).netloc}).",
                    field="pagination",
                    hint="Only links on the first request's host are followed.",
                )
            url, extra = target, {}  # the link carries its own query
        elif mode == "page":
            number += 1
            extra = {page_param: number}
        elif mode == "cursor":
            cursor = get_path(body, str(paging.get("cursor_path"))) if isinstance(body, dict | list) else None
            if cursor in (None, ""):
                return
            extra = {cursor_param: cursor}
