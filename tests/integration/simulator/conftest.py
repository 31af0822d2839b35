"""The venue simulator as a real process on a free port, shared by the package's tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.simulator.support import VENUES, running_simulator


@pytest.fixture(scope="package")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One simulator for the package's tests (each test uses its own client order ids)."""
    with running_simulator(tmp_path_factory.mktemp("simulator"), "--seed", "7") as url:
        yield url


@pytest.fixture
def http(simulator: str) -> Iterator[httpx.Client]:
    """A client of the simulator; every venue's faults are cleared before and after."""
    with httpx.Client(base_url=simulator, timeout=10) as client:
        for venue in VENUES:
            client.put(f"/control/faults/{venue}", json={}).raise_for_status()
        yield client
        for venue in VENUES:
            client.put(f"/control/faults/{venue}", json={}).raise_for_status()
