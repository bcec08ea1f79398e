"""Fixtures for the browser tests: a live server on a committed demo database, and chromium.

Tests here are marked `no_db_transaction`, so the main conftest's `_rollback` does not wrap
them; the `app` fixture is overridden with the live server's app so that no second test
database is built for them.
"""

import pytest

from tests import services
from tests.browser.live import CHROMIUM_ARGS, DemoWorker, LiveServer, chromium_path, start

VIEWPORT = {"width": 1280, "height": 800}


def _need_chromium() -> None:
    if not services.chromium_available() or chromium_path() is None:
        services.missing("chromium")


@pytest.fixture(autouse=True)
def _chromium_required():
    """Every browser test fails (REQUIRE_SERVICES=1) or skips when chromium is absent."""
    _need_chromium()


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> LiveServer:
    _need_chromium()  # before the slow part: session fixtures are set up first
    server = start("socialwork_e2e", tmp_path_factory.mktemp("e2e"))
    yield server
    server.stop(drop=True)


@pytest.fixture(scope="session")
def live_server(live: LiveServer) -> str:
    """The base URL of the live server, e.g. http://127.0.0.1:40123."""
    return live.url


@pytest.fixture(scope="session")
def app(live: LiveServer):
    return live.app


@pytest.fixture(scope="session")
def demo_worker(live: LiveServer) -> DemoWorker:
    return live.demo_worker()


@pytest.fixture(scope="session")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
