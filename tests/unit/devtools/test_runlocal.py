"""runlocal --load-demo waits for the sandbox before it loads the demo, and says why when it cannot."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from flowbuilder.devtools.management.commands import runlocal
from flowbuilder.devtools.management.commands.runlocal import Command


def a_child(seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])


def test_it_returns_once_the_port_accepts_connections(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    child = a_child(30)
    try:
        Command()._wait_for_sandbox(child, listener.getsockname()[1], tmp_path / "sandbox.log")
    finally:
        child.kill()
        listener.close()


def test_a_sandbox_that_exited_is_named_with_its_log(tmp_path: Path) -> None:
    child = a_child(0)
    child.wait()
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with pytest.raises(CommandError, match=r"exited with code 0; see .*sandbox\.log"):
        Command()._wait_for_sandbox(child, port, tmp_path / "sandbox.log")


def test_a_sandbox_that_never_answers_times_out_naming_the_port(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runlocal, "SANDBOX_START_S", 0.5)
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    child = a_child(30)
    try:
        with pytest.raises(CommandError, match=rf"did not answer on port {port} within 0.5 s"):
            Command()._wait_for_sandbox(child, port, tmp_path / "sandbox.log")
    finally:
        child.kill()
