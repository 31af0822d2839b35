"""Every page under the Content Security Policy in Chromium: no violation reported, and the
scripts that make each page work ran (they are files of our own, never inline)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_page
from tests.support.api import store
from tests.support.platform import eventually
from trading.accounts import create_trader
from trading.services import reference

__all__ = ["store"]

PASSWORD = "csp-pass-123"
# Violations the page itself sees (securitypolicyviolation) and those Chromium logs.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
# (path, a selector that shows the page, or its scripts, did their work)
STAFF_PAGES = [
    ("/admin/", "#content"),
    ("/admin/backoffice/order/", "#changelist"),
    ("/admin/tokens/apitoken/", "#changelist"),
    ("/admin/tokens/apitoken/add/", "#apitoken_form"),
    ("/admin/audit/auditlog/", "#changelist"),
    ("/reports/", "main"),
    ("/reports/trial-balance", "main"),
    ("/reports/positions", "main"),
    ("/reports/fills", "main"),
    ("/reports/reconciliation", "main"),
    ("/finance/", "main"),
    ("/ops/pools", "main"),
    ("/api/docs/", ".swagger-ui .info"),  # rendered by Swagger UI's own scripts
]


class Watched:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda m: self.console.append(m.text))

    def violations(self) -> list[str]:
        seen = self.page.evaluate("window.__csp || []")
        logged = [t for t in self.console if "Content Security Policy" in t]
        return [*seen, *logged]

    def visit(self, path: str, ready: str) -> None:
        answer = self.page.goto(path)
        assert answer is not None and answer.ok, path
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], path
        expect(self.page.locator(ready).first).to_be_visible()
        assert self.violations() == [], path


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: not url.endswith("/login"))


@pytest.fixture
def watched(browser: Browser, live_server: Any) -> Iterator[Watched]:
    page = new_page(browser, live_server.url)
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    try:
        yield Watched(page)
    finally:
        page.context.close()


def test_the_sign_in_page(watched: Watched, transactional_db: None) -> None:
    watched.visit("/login", "form.auth-card")


def test_the_trader_page(watched: Watched, store: Any, transactional_db: None) -> None:
    create_trader("csp-trader", dict(reference.DEMO_DEPOSITS), PASSWORD)
    _sign_in(watched.page, "csp-trader")
    watched.visit("/", "#balances tr[data-asset='BTC']")  # filled in by trader.js


def test_every_back_office_page(watched: Watched, store: Any, transactional_db: None) -> None:
    User.objects.create_superuser("csp-root", password=PASSWORD)  # holds every role
    _sign_in(watched.page, "csp-root")
    for path, ready in STAFF_PAGES:
        watched.visit(path, ready)


def test_an_inline_script_is_refused_and_reported(watched: Watched, transactional_db: None) -> None:
    watched.visit("/login", "form.auth-card")
    ran = watched.page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s);
                   return window.__ran === true; }"""
    )
    assert ran is False
    eventually(watched.violations, 10, what="the violation to be reported")
