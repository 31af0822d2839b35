"""python -m venues.simulator [--host 127.0.0.1] [--port 8100] [--fix-port 8101] [--seed-books]
[--seed N] [--state-dir DIR] (default $VAR_DIR/simulator; with neither, nothing is kept on disk)"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from aiohttp import web

from venues.simulator.app import make_app
from venues.simulator.market import VENUES

SHUTDOWN_TIMEOUT_S = 5.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m venues.simulator",
        description="The venue simulator: SIM-A, SIM-B over HTTP/websockets, SIM-F over FIX 4.4.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--fix-port", type=int, default=None, help="SIM-F's FIX 4.4 acceptor (default: none)"
    )
    parser.add_argument("--seed-books", action="store_true", help="load the seed's market")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--state-dir",
        default=None,
        help="where the venues' state is kept (default: $VAR_DIR/simulator; none: in memory)",
    )
    args = parser.parse_args(argv)
    state_dir = args.state_dir or (
        str(Path(os.environ["VAR_DIR"]) / "simulator") if os.environ.get("VAR_DIR") else None
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger(__name__).info(
        "venue simulator (%s) on http://%s:%d/, control at /control/, FIX on %s, state in %s",
        ", ".join(spec.name for spec in VENUES),
        args.host,
        args.port,
        args.fix_port or "no port",
        state_dir or "memory only",
    )
    web.run_app(
        make_app(
            seed_books=args.seed_books,
            seed=args.seed,
            state_path=Path(state_dir) / "state.sqlite3" if state_dir else None,
            fix_port=args.fix_port,
            fix_host=args.host,
        ),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )


if __name__ == "__main__":
    main()
