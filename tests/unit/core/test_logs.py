"""Structured logs: records logged while a run is bound carry its run and organisation ids, as JSON."""

from __future__ import annotations

import io
import json
import logging

from flowbuilder.core.logs import ContextFilter, JsonFormatter, annotate, bound


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("tests.structured")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_records_inside_a_run_carry_its_ids_and_outside_do_not():
    logger, stream = capture()
    with bound(run_id=41):
        annotate(organisation_id=7)
        logger.info("node %s failed", "call")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("crashed")
    annotate(organisation_id=8)  # outside any run: ignored
    logger.warning("idle")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "node call failed" and first["run_id"] == 41 and first["organisation_id"] == 7
    assert first["level"] == "INFO" and first["logger"] == "tests.structured" and "ts" in first
    assert "ValueError: boom" in second["exception"]
    assert "run_id" not in third and "organisation_id" not in third
