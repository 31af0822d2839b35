"""python -m wiring.launch PART -- ARGV...: count PART's start in the store, then become ARGV.

The process manager starts every part through this, so each start (the first and every
restart) is one atomic add in the store under the platform's run id; /healthz and /metrics
read the restarts from there. `exec` keeps the pid, so the manager's signals reach the part.
"""

from __future__ import annotations

import os
import sys

from infra.store.keys import Subspace

STARTS = Subspace(("platform", "starts"))  # (run_id, part) -> int64 LE: starts in that run


def record_start(run_id: str, part: str) -> None:
    """One more start of `part` in run `run_id` (an ADD: no read, no conflict)."""
    from infra.store import database
    from infra.store.api import run

    run(database(), lambda tr: tr.add(STARTS.pack((run_id, part)), 1))


def restarts(run_id: str | None = None) -> dict[str, int]:
    """part -> how often it was restarted in this run (starts beyond the first)."""
    from infra.store import database
    from infra.store.api import run

    run_id = run_id or os.environ.get("PLATFORM_RUN_ID", "")
    if not run_id:
        return {}
    rng = STARTS[run_id].range()
    rows = run(database(), lambda tr: tr.get_range(rng.start, rng.stop))
    return {
        STARTS[run_id].unpack(k)[0]: max(0, int.from_bytes(v, "little", signed=True) - 1)
        for k, v in rows
    }


def main(argv: list[str]) -> None:
    part, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: python -m wiring.launch PART -- ARGV...")
    run_id = os.environ.get("PLATFORM_RUN_ID")
    if run_id:
        try:
            record_start(run_id, part)
        except Exception as error:  # noqa: BLE001 - a count must never keep a part down
            print(f"launch: start of {part} not counted: {error}", file=sys.stderr)
    os.execv(command[0], command)  # noqa: S606 - the manager's own argv, never user input


if __name__ == "__main__":
    main(sys.argv[1:])
