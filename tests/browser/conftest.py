"""Chromium for the browser tests, driven by Playwright's sync API (DESIGN.md: Debian's
chromium at /usr/bin/chromium; Playwright's own browser download cannot work here).

- `browser`: one headless Chromium per test module;
- `page`: a fresh context (own cookies) and page per test, 1440x900, closed afterwards.
  Use full URLs (`live_server.url + "/finance/"`), or `new_page(browser, base_url)` for
  relative ones.

Playwright's sync API keeps an asyncio event loop in the test's thread while a browser is
open; Django then refuses the test's own (truly synchronous) ORM calls and pytest-django's
database flush unless DJANGO_ALLOW_ASYNC_UNSAFE is set, so `browser` sets it while it lives
and restores it afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000
VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def new_page(browser: Browser, base_url: str | None = None) -> Page:
    """A page in a fresh context; close it with `page.context.close()`."""
    options: dict[str, object] = {"viewport": VIEWPORT}
    if base_url:
        options["base_url"] = base_url
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = new_page(browser)
    yield opened
    opened.context.close()


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG at var/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
