"""The ops page in headless Chromium against the whole platform as `make run` starts it.

Ops signs in and lands on /ops/pools; every queue and consumer is there; autoscale changes
for real (the venue pools start with autoscale bounds) and the page shows the new state right
after; Grow moves the floor, Shrink asks first; a bad number is refused in plain words; the
tables refresh by themselves without a reload; and a backlog on a stopped pool is marked as an
SLO breach. Screenshots: var/screenshots/ops-pools.png, ops-pools-breach.png.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot
from tests.support.platform import RunningPlatform, start_platform
from wiring.management.commands.seed_platform import DEMO_PASSWORD

pytestmark = pytest.mark.slow
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("ops-platform"))
    yield running
    running.stop()


@pytest.fixture
def ops_page(browser: Browser, platform: RunningPlatform) -> Iterator[Page]:
    page = new_page(browser, platform.url)
    page.goto("/login")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(re.compile(r"/ops/pools$"))  # ops lands on its own page
    try:
        yield page
    finally:
        page.context.close()


def row(page: Page, queue: str):
    return page.locator(f"tr[data-queue='{queue}']")


def test_ops_changes_autoscale_grows_and_shrinks_for_real(ops_page):
    page = ops_page
    sim_a = row(page, "venue.SIM-A")
    expect(sim_a.locator(".autoscale")).to_have_text("2–4")  # as make run starts the pools
    expect(row(page, "venue.SIM-B")).to_be_visible()
    for flow in ("publisher", "ingest", "projector", "ws fanout"):
        expect(page.locator(f"tr[data-flow='{flow}']")).to_be_visible()
    expect(page.locator("tr[data-flow='ingest'] td").nth(2)).to_have_text("running")

    sim_a.locator("input[name=min]").fill("3")
    sim_a.locator("input[name=max]").fill("5")
    sim_a.get_by_role("button", name="Set autoscale").click()
    expect(page.locator("ul.messages")).to_contain_text("autoscales between 3 and 5")
    expect(sim_a.locator(".autoscale")).to_have_text("3–5")
    expect(sim_a.locator(".concurrency")).to_have_text("3")

    sim_a.get_by_role("button", name="Grow").click()
    expect(sim_a.locator(".autoscale")).to_have_text("4–5")
    expect(sim_a.locator(".concurrency")).to_have_text("4")

    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    sim_a.get_by_role("button", name="Shrink").click()  # dismissed: nothing changes
    expect(sim_a.locator(".autoscale")).to_have_text("4–5")
    row(page, "venue.SIM-A").get_by_role("button", name="Shrink").click()  # accepted
    expect(page.locator("ul.messages")).to_contain_text("shrunk by one process")
    expect(row(page, "venue.SIM-A").locator(".autoscale")).to_have_text("3–5")
    assert asked and "Shrink venue.SIM-A" in asked[0]

    row(page, "venue.SIM-A").locator("input[name=min]").fill("abc")
    row(page, "venue.SIM-A").get_by_role("button", name="Set autoscale").click()
    expect(page.locator("ul.messages li.error")).to_have_text(
        "venue.SIM-A: not changed: the smallest size must be a whole number of processes, "
        'like 2 (got "abc")'
    )
    screenshot(page, "ops-pools")


def test_the_page_refreshes_itself_and_marks_a_backlog_as_an_slo_breach(ops_page, platform):
    page = ops_page
    page.evaluate("window.__sameDocument = true")
    status = page.locator("#ops-refresh")
    expect(status).to_have_attribute("data-refreshed", re.compile(r"^[2-9]|\d\d"))
    assert page.evaluate("window.__sameDocument") is True  # refreshed without a reload
    expect(row(page, "venue.SIM-B").locator(".slo")).to_contain_text("oldest < 5 s")
    # The last hour of depth and age, drawn once there are two readings; each worker's tasks.
    expect(row(page, "venue.SIM-A").locator(".history svg.spark")).to_be_visible()
    tasks = row(page, "venue.SIM-A").locator("details.tasks")
    tasks.locator("summary").click()
    expect(tasks.locator("li").first).to_be_visible()
    expect(status).to_have_attribute("data-refreshed", re.compile(r"^([4-9]|\d\d)"))
    expect(tasks).to_have_attribute("open", "")  # still open after the refreshes

    worker = platform.pids()["venue-SIM-B"]
    os.killpg(worker, signal.SIGSTOP)  # the pool stops taking commands: they wait in Redis
    try:
        # Two orders: a stopped worker may hold a BRPOP it sent before it stopped, which
        # takes the first command off the list; the second one waits there for sure.
        for _ in range(2):
            answer = httpx.post(
                f"{platform.url}/api/v1/orders",
                headers={"Authorization": f"Token {platform.token}"},
                json={
                    "instrument": "BTC-USD",
                    "side": "buy",
                    "quantity": "0.1",
                    "limit_price": "10000",
                    "venue": "SIM-B",
                },
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
        sim_b = row(page, "venue.SIM-B")
        expect(sim_b.locator(".depth")).not_to_have_text("0")
        expect(sim_b).to_have_class(re.compile(r"\bbreach\b"))  # by itself, no reload
        expect(sim_b.locator(".slo")).to_contain_text("breached")
        screenshot(page, "ops-pools-breach")
    finally:
        os.killpg(worker, signal.SIGCONT)
    expect(row(page, "venue.SIM-B")).not_to_have_class(re.compile(r"\bbreach\b"))
    assert page.evaluate("window.__sameDocument") is True
