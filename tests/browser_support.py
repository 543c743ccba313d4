"""Real-browser helpers: Playwright driving Debian's chromium against a live server.

Every browser test module imports from here ``browser`` (the fixture), ``Session`` and
``BROWSER`` (its pytestmark). Screenshots of every step go to artifacts/browser/ (ignored
by git). Any JavaScript error in the console fails the test. Skipped where
/usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (set by .ci/run, which installs
chromium). ``DESKTOP`` and ``PHONE`` are the two viewports staff use.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls of the test are
# still plain synchronous calls, made between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# For @pytest.mark.parametrize("viewport", VIEWPORTS): every page at both widths.
VIEWPORTS = [pytest.param(DESKTOP, id="1440"), pytest.param(PHONE, id="390")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A browser test module sets `pytestmark = BROWSER`: the marker always, so that
# `-m "not browser"` leaves these out whether or not chromium is here.
BROWSER = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
if not Path(CHROMIUM).exists():
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"chromium not found at {CHROMIUM}; install Debian's chromium")
    BROWSER.append(pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Session:
    """One logged-in person: a page, its console errors, numbered screenshots."""

    def __init__(
        self,
        browser,
        live_server,
        username: str,
        password: str,
        prefix: str,
        viewport: dict | None = None,
    ) -> None:
        self.base = live_server.url
        self.context = browser.new_context(
            viewport=viewport or {"width": 1400, "height": 1000},
            accept_downloads=True,
            is_mobile=bool(viewport and viewport["width"] < 600),
            has_touch=bool(viewport and viewport["width"] < 600),
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # Requests still waiting for an answer (see settle()).
        self.pending: set = set()
        self.page.on("request", lambda request: self.pending.add(request))
        self.page.on("requestfinished", lambda request: self.pending.discard(request))
        self.page.on("requestfailed", lambda request: self.pending.discard(request))
        self.prefix, self.step = prefix, 0
        self.go("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        self.shot("logged-in")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every request the page made has its answer.

        On SQLite the test server's threads share one database connection: a request made
        while another is still answered (a search per typed letter, then a click) can fail
        in the database driver. ``wait_for_load_state`` does not wait again once the page
        has loaded.
        """
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        assert not self.pending, f"Requests still open: {[r.url for r in self.pending]}"

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(
            path=str(SHOTS / f"{self.prefix}-{self.step:02d}-{name}.png"), full_page=True
        )

    def text(self) -> str:
        return self.page.inner_text("body")

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def choose_autocomplete(page, select_name: str, term: str) -> None:
    """Pick a value in a select2 autocomplete the way a person does: open, type, choose."""
    page.locator(f"select[name='{select_name}'] + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option--highlighted", has_text=term).first.wait_for()
    page.keyboard.press("Enter")
