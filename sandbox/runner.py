"""Start the sandbox inside the current process (tests, benchmarks, the dev server command)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from .app import create_sandbox
from .config import SandboxConfig
from .platform.server import make_server


def start_sandbox(
    port: int = 0,
    data_dir: str | Path = "var/sandbox",
    *,
    host: str = "127.0.0.1",
    reset: bool = False,
    config: SandboxConfig | None = None,
) -> tuple[str, Callable[[], None]]:
    """Serve on host:port (0 picks a free port) from a daemon thread; return (base_url, stop)."""
    sandbox = create_sandbox(data_dir, config, reset=reset)
    server = make_server(sandbox, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        sandbox.stop_event.set()  # wakes handlers sleeping in latency/timeout faults
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sandbox.close()

    return f"http://{bound_host}:{bound_port}", stop
