"""The site as each kind of user meets it, in headless Chromium against the live server.

Each role signs in, lands on its own home and sees only the links it may follow; another
role's page is a 403 in the site's style with a way back; an unknown page is such a 404;
/api/docs/ renders Swagger UI from the site's own assets; and no page, for any role, asks
another host for anything (every request that leaves the site is refused and recorded).
Screenshots: var/screenshots/landing-<role>.png, error-403.png, error-404.png, api-docs.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Browser, Page, WebSocket, expect

from infra.store.api import Database
from kernel import roles
from tests.browser.conftest import TIMEOUT_MS, new_page, screenshot
from tests.support.api import store
from trading.accounts import create_trader
from trading.services import reference

__all__ = ["store"]  # the fixture: the trader's page reads this test's own store

expect.set_options(timeout=TIMEOUT_MS)
PASSWORD = "site-pass-123"
# role -> (user name, landing path, the header's links)
ROLES = {
    roles.TRADER: ("site-trader", "/", ["Trade"]),
    roles.STAFF: ("site-staff", "/admin/", ["Admin", "Reports"]),
    roles.FINANCE: ("site-finance", "/finance/", ["Admin", "Reports", "Finance"]),
    roles.OPS: ("site-ops", "/ops/pools", ["Ops"]),
}
# Pages of the site (not the admin, which has Django's own chrome) each role may open.
PAGES = {
    roles.TRADER: ["/"],
    roles.STAFF: ["/reports/", "/reports/trial-balance"],
    roles.FINANCE: ["/finance/", "/reports/"],
    roles.OPS: ["/ops/pools"],
}


@pytest.fixture
def users(store: Database, transactional_db: None) -> dict[str, str]:
    """One user per role, as `make run` seeds them (staff-like roles with is_staff)."""
    create_trader(ROLES[roles.TRADER][0], dict(reference.DEMO_DEPOSITS), password=PASSWORD)
    for role in (roles.STAFF, roles.FINANCE, roles.OPS):
        user = User.objects.create_user(ROLES[role][0], password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return {role: name for role, (name, _, _) in ROLES.items()}


class Foreign:
    """Refuses and records every request to another host than the live server."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.host = urlsplit(base_url).netloc
        self.requests: list[str] = []
        self.missing: list[str] = []
        page.context.route("**/*", self._route)
        page.on("websocket", self._websocket)
        page.on("response", self._response)

    def _websocket(self, ws: WebSocket) -> None:
        self._check(ws.url)

    def _check(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"} or parts.netloc == self.host:
            return True
        self.requests.append(url)
        return False

    def _route(self, route: Any) -> None:
        if self._check(route.request.url):
            route.continue_()
        else:
            route.abort()

    def _response(self, response: Any) -> None:
        if response.status == 404 and response.request.resource_type != "document":
            self.missing.append(response.url)  # an asset or the favicon the page wanted


@pytest.fixture
def site(browser: Browser, live_server: Any, users: dict[str, str]) -> Iterator[Any]:
    opened: list[Page] = []

    def open_as(role: str | None) -> tuple[Page, Foreign]:
        page = new_page(browser, live_server.url)
        opened.append(page)
        foreign = Foreign(page, live_server.url)
        if role is not None:
            page.goto("/login")
            page.fill("input[name=username]", users[role])
            page.fill("input[name=password]", PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_url(lambda url: "/login" not in url)
        return page, foreign

    yield open_as
    for page in opened:
        page.context.close()


def header_links(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".site-nav a").all_inner_texts()]


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_lands_on_its_home_and_sees_only_its_links(site, role):
    page, foreign = site(role)
    _, landing, links = ROLES[role]
    expect(page).to_have_url(re.compile(re.escape(landing) + r"$"))
    if landing != "/admin/":  # the admin keeps Django's own header
        assert header_links(page) == links
    for path in PAGES[role]:
        page.goto(path)
        assert header_links(page) == links, path
    page.goto(landing)
    screenshot(page, f"landing-{role}")
    assert foreign.requests == []


def test_another_roles_page_is_a_403_in_the_sites_style_with_a_way_back(site):
    page, foreign = site(roles.OPS)
    answer = page.goto("/finance/")
    assert answer is not None and answer.status == 403
    expect(page.locator(".site-header")).to_be_visible()  # the site's header and style
    expect(page.locator("h1")).to_have_text("This page is not for your account")
    expect(page.locator(".error-page")).to_contain_text("site-ops")
    screenshot(page, "error-403")
    page.get_by_role("link", name="Back to your home page").click()
    expect(page).to_have_url(re.compile(r"/ops/pools$"))
    assert foreign.requests == [] and foreign.missing == []


def test_an_unknown_page_is_a_404_in_the_sites_style_with_a_way_back(site):
    page, foreign = site(roles.FINANCE)
    answer = page.goto("/no/such/page")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("There is no page here")
    expect(page.locator(".error-page code")).to_have_text("/no/such/page")
    screenshot(page, "error-404")
    page.get_by_role("link", name="Back to your home page").click()
    expect(page).to_have_url(re.compile(r"/finance/$"))
    assert foreign.requests == [] and foreign.missing == []


def test_api_docs_render_from_the_sites_own_assets(site):
    page, foreign = site(None)  # the docs are public, as the schema is
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("edge-api")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/orders")
    screenshot(page, "api-docs")
    assert errors == []
    assert foreign.requests == [], foreign.requests
    assert foreign.missing == []


def test_no_page_asks_another_host_for_anything_nor_misses_its_favicon(site, live_server):
    for role in ROLES:
        page, foreign = site(role)
        for path in [*PAGES[role], "/admin/", "/api/docs/", "/no/such/page", "/login"]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
        assert foreign.requests == [], (role, foreign.requests)
        assert foreign.missing == [], (role, foreign.missing)
    favicon = page.request.get(live_server.url + "/favicon.ico")
    assert favicon.status == 200 and favicon.headers["content-type"] == "image/x-icon"
