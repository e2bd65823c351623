"""The sandbox's own tests: a fresh server per test module with its seeded history pinned (the tests'
dates sit just after it), driven over HTTP with a requests session per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sandbox import SEED_ANCHOR, Sandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox"), seed_anchor=SEED_ANCHOR) as box:
        yield box.url


@pytest.fixture
def sandbox(sandbox_server: str) -> Iterator[Sandbox]:
    box = Sandbox(sandbox_server)
    try:
        yield box
        box.reset()  # leave no fault, limit or hook behind for the next test in the module
    finally:
        box.close()
