"""Connections made the way a user makes them (through the credentials actions), and the per-process
runtime cache they fill, cleared around the tests that open connections.

Registered for every suite from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flowbuilder.credentials import actions as credential_actions
from flowbuilder.credentials import runtime
from flowbuilder.credentials.models import Connection
from tests.support.sandbox import Sandbox


@pytest.fixture
def fresh_runtime_cache() -> Iterator[None]:
    """No live runtime (nor its OAuth token) leaks from one test into the next."""
    runtime.clear_cache()
    yield
    runtime.clear_cache()


@pytest.fixture
def make_connection(admin: Any, org: Any) -> Callable[..., Connection]:
    """``make_connection(base_url, credential_type=..., credentials=...)``: a connection of ``org`` (by
    default a generic HTTP one with a bearer token) made by its ``admin``."""

    def make(base_url="https://api.example.com", *, credential_type="bearer", credentials=None, **kwargs):
        return credential_actions.create_connection(
            actor=kwargs.pop("actor", admin),
            organisation=kwargs.pop("organisation", org),
            name=kwargs.pop("name", f"conn-{credential_type}-{base_url}"),
            connector=kwargs.pop("connector", "http"),
            base_url=base_url,
            credential_type=credential_type,
            credentials={"token": "tok-SECRET-123"} if credentials is None else credentials,
            **kwargs,
        )

    return make


def sandbox_connection(
    sandbox: Sandbox, *, actor: Any, organisation: Any, system: str, name: str | None = None
) -> Connection:
    """A connection to ``system`` on the sandbox with the auth flow the real system offers (see
    ``flowbuilder/devtools/sandbox_auth.py``; Kantata: a token from its authorization code grant), as a
    user would make it."""
    credential_type, credentials = sandbox.credentials(system)
    return credential_actions.create_connection(
        actor=actor,
        organisation=organisation,
        name=name or f"{system} sandbox",
        connector=system,
        base_url=f"{sandbox.url}/{system}",
        credential_type=credential_type,
        credentials=credentials,
    )
