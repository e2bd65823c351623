"""Start the whole product on this machine: web (uvicorn), worker, beat and the sandbox systems.

Used by ``make run``. Each process is a child of this one; Ctrl-C (or any child dying) stops them all.
With ``--load-demo`` the sandbox starts first and the demo tenant is loaded once it answers, so the
demo's connections are connected and its ERP references checked at load (not left pending).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

SANDBOX_START_S = 60  # its first start seeds every demo tenant


class Command(BaseCommand):
    help = "Run web, worker, beat and the sandbox systems on 127.0.0.1 until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8100)
        # Runs mostly wait on HTTP APIs: a thread pool overlaps those waits at a fraction of the memory
        # of prefork children (see docs/adr/0002-execution-model.md).
        parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
        parser.add_argument("--concurrency", type=int, default=8)
        parser.add_argument("--load-demo", action="store_true", help="load the demo once the sandbox answers")

    def handle(self, *args, **opts):
        python = sys.executable
        logs = Path(settings.BASE_DIR) / "var" / "log"
        logs.mkdir(parents=True, exist_ok=True)
        var = Path(settings.BASE_DIR) / "var"
        celery = [python, "-m", "celery", "-A", "flowbuilder"]
        # fmt: off
        processes = {
            "sandbox": [python, "-m", "sandbox", "--host", "127.0.0.1",
                        "--port", str(opts["sandbox_port"]), "--data-dir", str(var / "sandbox")],
            "web": [python, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(opts["port"]),
                    "--no-access-log", "--timeout-keep-alive", "75", "flowbuilder.asgi:application"],
            "worker": [*celery, "worker", "-l", "info", "-Q", "runs", "-P", opts["pool"],
                       "-c", str(opts["concurrency"]), "--without-gossip", "--without-mingle"],
            "beat": [*celery, "beat", "-l", "info", "--schedule", str(var / "beat-schedule")],
        }
        # fmt: on
        children: dict[str, subprocess.Popen] = {}

        def launch(name: str) -> None:
            cmd = processes[name]
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
            # The web server runs sync code on per-request threads: it borrows database connections
            # from a pool (PostgreSQL) instead of keeping one per thread. Children inherit the rest.
            if name == "web":
                cmd = ["env", "DATABASE_POOL=true", *cmd]
            children[name] = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

        def terminate() -> None:
            for proc in children.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in children.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

        def stop(*_args):
            terminate()
            sys.exit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        launch("sandbox")
        if opts["load_demo"]:
            try:
                self._wait_for_sandbox(children["sandbox"], opts["sandbox_port"], logs / "sandbox.log")
                call_command("load_demo", stdout=self.stdout, stderr=self.stderr)
            except Exception:
                terminate()  # a failed demo load leaves no sandbox behind
                raise
        for name in ("web", "worker", "beat"):
            launch(name)
        self._connect_demo(opts)
        demo = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo.json").read_text())
        self.stdout.write(self.style.SUCCESS(f"\nFlowbuilder is running: http://127.0.0.1:{opts['port']}/"))
        self.stdout.write(f"  API docs:        http://127.0.0.1:{opts['port']}/api/docs/")
        self.stdout.write(f"  Sandbox systems: http://127.0.0.1:{opts['sandbox_port']}/")
        self.stdout.write(
            f"  Demo logins:     {', '.join(u['username'] for u in demo['users'])}"
            f"  (password: {demo['password']})"
        )
        self.stdout.write(f"  Logs:            {logs}/{{web,worker,beat,sandbox}}.log   Stop: Ctrl-C\n")
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    self.stderr.write(
                        f"{name} exited with code {proc.returncode}; see {logs / (name + '.log')}. Stopping."
                    )
                    stop()
            time.sleep(1)

    def _wait_for_sandbox(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        """Until the sandbox accepts connections (it listens once its tenants are seeded)."""
        deadline = time.monotonic() + SANDBOX_START_S
        while True:
            if proc.poll() is not None:
                raise CommandError(f"the sandbox exited with code {proc.returncode}; see {log}.")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"the sandbox did not answer on port {port} within {SANDBOX_START_S} s; see {log}."
                    ) from None
                time.sleep(0.2)

    def _connect_demo(self, opts) -> None:
        """The demo's sandbox connections that wait for a consent (Kantata; NetSuite by authorization
        code) are connected once the sandbox answers: the product's Connect, with the click on the
        sandbox's consent page done here (flowbuilder.devtools.demo.connect_sandbox_connections)."""
        from connectors.errors import ConnectorError
        from flowbuilder.core.errors import FlowbuilderError
        from flowbuilder.devtools.demo import connect_sandbox_connections

        callback = f"http://127.0.0.1:{opts['port']}/oauth/callback/"
        deadline = time.monotonic() + 30
        while True:
            try:
                done = connect_sandbox_connections(settings.SANDBOX_URL, callback)
            except (ConnectorError, RuntimeError) as exc:  # the sandbox is still starting
                if time.monotonic() > deadline:
                    self.stderr.write(
                        f"Demo connections not connected ({exc}); use Connect on the Connections page."
                    )
                    return
                time.sleep(0.5)
                continue
            except FlowbuilderError as exc:
                self.stderr.write(f"Demo connections not connected: {exc.message}")
                return
            if done:
                self.stdout.write(
                    f"  Connected {len(done)} demo connection(s) through the sandbox's consent pages."
                )
            return
