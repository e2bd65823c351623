"""Connections' tests start from an empty runtime cache (fixtures: tests/support/connections.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_runtime_cache(fresh_runtime_cache: None) -> None:
    """Every test here opens connections: none of them outlives its test."""
