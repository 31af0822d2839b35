"""`python -m contracts.schemas [--check]`: write (or check) the committed JSON Schemas."""

from __future__ import annotations

import sys

from contracts.registry import TOPICS
from contracts.schemas import breaking_changes, committed, generate, path_of, text_of


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    status = 0
    for topic in TOPICS:
        new = generate(topic)
        old = committed(topic)
        if old is not None and (problems := breaking_changes(old, new)):
            print(f"{topic}: not backward compatible; make a new version instead:")
            for problem in problems:
                print(f"  {problem}")
            status = 1
            continue
        if old == new:
            continue
        if check_only:
            print(f"{topic}: {path_of(topic).name} is not current (python -m contracts.schemas)")
            status = 1
        else:
            path_of(topic).write_text(text_of(new))
            print(f"{topic}: wrote {path_of(topic).relative_to(path_of(topic).parents[2])}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
