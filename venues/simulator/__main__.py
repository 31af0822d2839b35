"""python -m venues.simulator [--host 127.0.0.1] [--port 8100] [--seed-books] [--seed N]"""

import argparse

from aiohttp import web

from venues.simulator.app import make_app


def main() -> None:
    parser = argparse.ArgumentParser(description="The venue simulator (SIM-A, SIM-B).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--seed-books", action="store_true", help="load the seed's market")
    parser.add_argument("--seed", type=int, default=None, help="random seed for faults")
    args = parser.parse_args()
    web.run_app(
        make_app(seed_books=args.seed_books, seed=args.seed),
        host=args.host,
        port=args.port,
        print=None,
    )


if __name__ == "__main__":
    main()
