"""Browser tests: Playwright driving Debian's Chromium against pytest-django's `live_server`.

`playwright install` cannot download browsers here, so the tests launch the system Chromium
(`/usr/bin/chromium`, or `BROWSER_EXECUTABLE`). Without it, every test marked `browser` is
skipped and the end of the run says so loudly, with how to enable them.

Each test starts its own Playwright: the sync API keeps an asyncio loop running in the test's
thread, which Django's async-safety guard would otherwise see in later tests. While a browser
test runs, `DJANGO_ALLOW_ASYNC_UNSAFE` lets the test set up data with the ORM next to it.

Every page a test visits is saved as a screenshot under var/screenshots/<test>/.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

BROWSER_EXECUTABLE = os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

_skipped_key = pytest.StashKey[list]()


def browser_missing_reason() -> str | None:
    if not Path(BROWSER_EXECUTABLE).exists():
        return f"no Chromium at {BROWSER_EXECUTABLE}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def pytest_collection_modifyitems(config, items):
    reason = browser_missing_reason()
    if reason is None:
        return
    if os.environ.get("BROWSER_REQUIRED") == "1":
        raise pytest.UsageError(f"BROWSER_REQUIRED=1 but the browser tests cannot run: {reason}")
    skipped = config.stash.setdefault(_skipped_key, [])
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason=f"browser test skipped: {reason}"))
            skipped.append(item.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(_skipped_key, [])
    if not skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
    write(f"{len(skipped)} browser tests did NOT run: {browser_missing_reason()}.", red=True)
    write("They walk the support article in a real Chromium; to run them:", bold=True)
    write("  sudo apt-get install -y chromium      # Debian/Ubuntu: provides /usr/bin/chromium")
    write("  or: BROWSER_EXECUTABLE=/path/to/chromium make test")
    write("  (.ci/run installs Chromium, so CI always runs them.)")
    terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)


class Screens:
    """Saves a full-page screenshot of each page a test visits."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.saved: list[Path] = []

    def take(self, page, name: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        return path


@pytest.fixture
def screens(request) -> Screens:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    folder = SCREENSHOT_DIR / slug
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Screens(folder)


@pytest.fixture
def chromium(monkeypatch) -> Iterator:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER_EXECUTABLE, args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def eager_celery():
    """Run the tasks that "Run inventory now" and "Upload now" queue in the web request itself,
    so a browser test sees the run go from queued to finished without a worker process."""
    from integration_manager.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def open_page(chromium, live_server, user, *, viewport=DESKTOP):
    """A browser page logged in as `user` (a session made by Django's test client)."""
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport=viewport, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()
