"""The locks `make` installs from (requirements/*.txt) hold pyproject.toml's pins exactly."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(requirements: list[str]) -> dict[str, str]:
    """name -> version of each `name[extras]==version` (the project's own extras left out)."""
    found = {}
    for line in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?==([^ ;]+).*", line.strip())
        if match and match.group(1) != PYPROJECT["project"]["name"]:
            found[normal(match.group(1))] = match.group(3)
    return found


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: str) -> dict[str, str]:
    return pins((ROOT / "requirements" / lock).read_text().splitlines())


@pytest.mark.parametrize(
    ("lock", "groups"), [("run.txt", ["local"]), ("dev.txt", ["local", "dev"])]
)
def test_each_pin_is_locked_at_its_version(lock, groups):
    wanted = pins(PYPROJECT["project"]["dependencies"])
    for group in groups:
        wanted |= pins(PYPROJECT["project"]["optional-dependencies"][group])
    have = locked(lock)
    assert {name: have.get(name) for name in wanted} == wanted, "run `make lock`"


def test_the_run_lock_has_no_dev_tool():
    dev_only = set(pins(PYPROJECT["project"]["optional-dependencies"]["dev"]))
    assert not dev_only & set(locked("run.txt"))


def test_every_locked_package_has_a_hash():
    for lock in ("run.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        for entry in re.split(r"\n(?=\S)", text):
            if re.match(r"[A-Za-z0-9]", entry):
                assert "--hash=sha256:" in entry, entry.splitlines()[0]
