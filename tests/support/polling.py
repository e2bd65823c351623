"""In-process polls emit a record as soon as they see it, unless a test is about settling.

A poll holds back records stamped in the last second or so until their timestamp has settled
(``connectors.polling.SETTLE``). Tests about cursors, ties and exactly-once write records and poll at
once, so they lift the margin; tests marked ``settling`` keep it and are about it. The integration tests'
workers are other processes and always keep it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture(autouse=True)
def _polls_emit_unsettled_records(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("settling") is None:
        monkeypatch.setattr("connectors.polling.SETTLE", timedelta(days=-1))
