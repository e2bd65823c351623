"""The web process's request line: one Django request at a time in arrival order; a slow one steps aside."""

from __future__ import annotations

import asyncio

import pytest

from flowbuilder.web.request_line import RequestLine

SLOW = 0.05


class Recorder:
    """An ASGI app whose requests say how long they take; it records when each starts and ends."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.running = 0
        self.most_running = 0

    async def __call__(self, scope, receive, send) -> None:
        name = scope["name"]
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.log.append(("start", name))
        try:
            await asyncio.sleep(scope["takes"])
        finally:
            self.running -= 1
            self.log.append(("end", name))


def request(line: RequestLine, name: str, takes: float) -> asyncio.Task:
    return asyncio.ensure_future(line({"type": "http", "name": name, "takes": takes}, None, None))


def run(coro):
    return asyncio.run(coro)


def test_quick_requests_run_one_at_a_time_in_arrival_order():
    async def scenario():
        app = Recorder()
        line = RequestLine(app, slow_after=SLOW, max_running=10)
        await asyncio.gather(*(request(line, f"r{i}", 0.005) for i in range(5)))
        return app, line

    app, line = run(scenario())
    assert app.most_running == 1
    assert [name for event, name in app.log if event == "start"] == ["r0", "r1", "r2", "r3", "r4"]
    assert line.state() == {"running": 0, "waiting": 0}


def test_a_slow_request_lets_the_next_start_beside_it():
    async def scenario():
        app = Recorder()
        line = RequestLine(app, slow_after=SLOW, max_running=10)
        slow = request(line, "slow", 0.5)
        await asyncio.sleep(0)
        quick = request(line, "quick", 0.001)
        await quick
        log_when_quick_ended = list(app.log)
        await slow
        return log_when_quick_ended

    log = run(scenario())
    # The quick one finished while the slow one still ran: it did not wait the slow one's 0.5 s.
    assert log == [("start", "slow"), ("start", "quick"), ("end", "quick")]


def test_the_next_request_waits_until_the_running_one_turns_slow():
    async def scenario():
        loop = asyncio.get_running_loop()
        app = Recorder()
        line = RequestLine(app, slow_after=SLOW, max_running=10)
        t0 = loop.time()
        first = request(line, "first", 0.3)
        await asyncio.sleep(0)
        await request(line, "second", 0.0)
        waited = loop.time() - t0
        first.cancel()
        return waited, app.log

    waited, log = run(scenario())
    assert log[:3] == [("start", "first"), ("start", "second"), ("end", "second")]
    assert SLOW * 0.9 <= waited < 0.25


def test_at_most_max_running_even_when_all_are_slow():
    async def scenario():
        app = Recorder()
        line = RequestLine(app, slow_after=0.01, max_running=2)
        await asyncio.gather(*(request(line, f"r{i}", 0.1) for i in range(4)))
        return app

    assert run(scenario()).most_running == 2


def test_a_client_gone_while_waiting_gives_up_its_place():
    async def scenario():
        app = Recorder()
        line = RequestLine(app, slow_after=SLOW, max_running=10)
        first = request(line, "first", 0.02)
        await asyncio.sleep(0)
        gone = request(line, "gone", 0.001)
        third = request(line, "third", 0.001)
        await asyncio.sleep(0)
        assert line.state() == {"running": 1, "waiting": 2}
        gone.cancel()
        await asyncio.gather(first, third)
        with pytest.raises(asyncio.CancelledError):
            await gone
        return app, line

    app, line = run(scenario())
    assert [name for event, name in app.log if event == "start"] == ["first", "third"]
    assert line.state() == {"running": 0, "waiting": 0}


def test_a_failing_request_frees_the_line():
    async def scenario():
        async def broken(scope, receive, send):
            raise RuntimeError("boom")

        line = RequestLine(broken, slow_after=SLOW, max_running=10)
        results = await asyncio.gather(
            line({"type": "http"}, None, None), line({"type": "http"}, None, None), return_exceptions=True
        )
        return results, line

    results, line = run(scenario())
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert line.state() == {"running": 0, "waiting": 0}


def test_a_client_gone_just_as_the_line_moves_on_is_skipped_without_error():
    # The waiter's turn is cancelled, and before its task wakes the running request ends: the line
    # drops the cancelled turn itself, and the gone request must still end as cancelled, not fail.
    async def scenario():
        app = Recorder()
        line = RequestLine(app, slow_after=SLOW, max_running=10)
        first_key = await line._enter()
        gone = request(line, "gone", 0.001)
        await asyncio.sleep(0)
        gone.cancel()  # cancels its turn at once; its task runs its handler on a later loop pass
        line._leave(first_key)
        with pytest.raises(asyncio.CancelledError):
            await gone
        after = request(line, "after", 0.001)
        await after
        return app, line

    app, line = run(scenario())
    assert [name for event, name in app.log if event == "start"] == ["after"]
    assert line.state() == {"running": 0, "waiting": 0}
