"""One platform, started as `make run` starts it, shared by the end-to-end tests of a session."""

import pytest

from tests.support.platform import start_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    running = start_platform(tmp_path_factory.mktemp("platform"))
    yield running
    running.stop()
