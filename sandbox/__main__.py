"""CLI: python -m sandbox --host 127.0.0.1 --port 8100 --data-dir var/sandbox [--reset]."""

from __future__ import annotations

import argparse
import logging
import sys

from .app import create_sandbox
from .config import DEMO_TENANTS, SYSTEMS, SandboxConfig
from .platform.server import is_loopback, make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--data-dir", default="var/sandbox")
    parser.add_argument("--reset", action="store_true", help="drop all records and reseed")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime in seconds")
    parser.add_argument("--rate-limit", type=float, default=100.0, help="requests/s per system; 0 = off")
    parser.add_argument("--netsuite-concurrency", type=int, default=5)
    parser.add_argument("--dynamics-page-size", type=int, default=100)
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--seed-anchor", default=None, help="YYYY-MM-DD the seeded history ends at")
    parser.add_argument(
        "--tenant",
        action="append",
        metavar="NAME[:TITLE]",
        help="a tenant besides the default one (repeatable; default: the demo's acme, globex and initech)",
    )
    parser.add_argument(
        "--strict-auth",
        action="store_true",
        help="only the vendors' documented auth flows (no legacy client_credentials for the default clients)",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="permit binding a non-loopback address (containers only; the admin API is unauthenticated)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    if not is_loopback(args.host) and not args.allow_non_loopback:
        print(f"refusing to bind {args.host}: the sandbox binds loopback only", file=sys.stderr)
        return 2
    config = SandboxConfig(
        token_ttl=args.token_ttl,
        client_id=args.client_id,
        client_secret=args.client_secret,
        rate_limits=dict.fromkeys(SYSTEMS, args.rate_limit),
        netsuite_concurrency=args.netsuite_concurrency,
        dynamics_page_size=args.dynamics_page_size,
        seed=args.seed,
        seed_anchor=args.seed_anchor,
        tenants=list(args.tenant) if args.tenant else list(DEMO_TENANTS),
        legacy_grants=not args.strict_auth,
        allow_non_loopback=args.allow_non_loopback,
    )
    sandbox = create_sandbox(args.data_dir, config, reset=args.reset)
    server = make_server(sandbox, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"Flowbuilder sandbox on http://{host}:{port}/ (data in {sandbox.store.path})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop_event.set()
        server.server_close()
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
