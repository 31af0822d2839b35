"""The README's "First steps", run as written in a second terminal beside a running platform.

The commands run in a folder laid out like the project (every entry a link to it, `var` a link
to the platform's own var dir), with bash, through `make`; the only change to what the README
says is the platform's port (the test's platform runs on a free one, not 8000).
"""

import json
import os
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.management import get_commands

from tests.support.platform import ROOT, start_platform

pytestmark = pytest.mark.slow


def second_terminal_block() -> str:
    """The README's shell block that follows "Terminal 2" under "## First steps"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## First steps", 1)[1]
    after = section.split("Terminal 2", 1)[1]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block is not None, "the README has no shell block after Terminal 2"
    return block.group(1)


def workspace(tmp_path, var_dir):
    """A folder that looks like the project to make and bash, with the platform's var dir."""
    here = tmp_path / "project"
    here.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in {"var", ".git"}:
            (here / entry.name).symlink_to(entry)
    (here / "var").symlink_to(var_dir)
    # The tests run inside this very .venv, so it holds what `make install` would put there;
    # the stamp says so (as `make install-dev` leaves it), and make never installs from here.
    clean = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    stamp = subprocess.run(
        ["make", "-s", "run-stamp"], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    ).stdout.strip()
    (ROOT / stamp).touch()
    return here


def test_first_steps_work_verbatim_in_a_second_terminal(tmp_path):
    script = second_terminal_block()
    assert "make demo" in script and "make invariants" in script and "make trader" in script
    if "reconcile_venues" not in get_commands():
        print("README runs without `make reconcile`: manage.py reconcile_venues is not here yet")
        script = "\n".join(line for line in script.splitlines() if "make reconcile" not in line)
    platform = start_platform(tmp_path / "platform")
    try:
        here = workspace(tmp_path, platform.var_dir)
        env = {**platform.env, "PLATFORM_URL": platform.url, "VENV": str(ROOT / ".venv")}
        for inherited in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):  # a terminal has no outer make
            env.pop(inherited, None)
        run = subprocess.run(
            [
                "bash",
                "-euo",
                "pipefail",
                "-c",
                script.replace("http://127.0.0.1:8000", platform.url),
            ],
            cwd=here,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = run.stdout
        assert run.returncode == 0, f"{out}\n{run.stderr}"
        assert "1.2 / 3 BTC filled" in out and "3 / 3 filled at 9983" in out  # make demo
        assert '"symbol":"BTC-USD"' in out.replace(" ", "")  # the instruments
        order = json.loads(next(line for line in out.splitlines() if '"order_id"' in line))
        assert order["instrument"] == "BTC-USD" and order["quantity"] in {"0.5", "0.50000000"}
        assert "ok: every invariant holds" in out  # make invariants
        assert re.search(r"trader alice \(T\d+\): created", out)
        assert "balance USD: 100,000" in out
        # alice's balances, read with the token that `make trader ... | tail -n 1` gave
        pages = [json.loads(line) for line in out.splitlines() if line.startswith('{"results"')]
        balances = [
            {b["asset"]: Decimal(b["total"]) for b in page["results"]}
            for page in pages
            if page["results"] and "asset" in page["results"][0]
        ]
        assert {"USD": Decimal(100000)} in balances, balances
        assert "Traceback" not in run.stderr
    finally:
        platform.stop()
