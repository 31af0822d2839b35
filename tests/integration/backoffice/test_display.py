"""How the back office writes times for people: to the second, in UTC, saying so."""

import re

from backoffice.rebuild import read_models_rebuild
from tests.integration.backoffice.conftest import Seed


def test_admin_lists_show_times_to_the_second_in_utc(seed: Seed, staff_client):
    read_models_rebuild(seed.db)
    page = staff_client.get("/admin/backoffice/ledgerentry/").content.decode()
    assert re.search(r"2026-11-25 12:00:00 UTC", page), "a time with seconds and its zone"
    assert not re.search(r"\b(a\.m\.|p\.m\.|noon)\b", page)
