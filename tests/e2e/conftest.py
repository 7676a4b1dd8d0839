"""Browser fixtures: `streamlit run app.py` on a free localhost port, and Debian's Chromium through Playwright.

The server and the browser are started once per test module and stopped (the server by its own process
id) at the module's end, so modules with their own Playwright fixtures can run after this one. Screenshots
go to $WHISPER_VIZ_SCREENSHOTS or /tmp/whisper-viz-e2e.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from app_server import CHROMIUM_ARGS, VIEWPORT, app_server  # noqa: E402  (one copy, shared with bench/)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


@pytest.fixture(scope="module")
def app_url():
    """Base URL of a fresh `streamlit run app.py` server, headless, on a free port."""
    with app_server() as server:
        yield server.url


def _missing(reason: str):
    """Skip a browser test for `reason`, except under CI (CI=true), where a missing browser is a failure."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{reason}; CI must run the browser tests (scripts/install.sh --dev installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium (Debian's, since Playwright cannot download its own here)."""
    try:
        from playwright import sync_api
    except ImportError:
        _missing("Playwright is not installed (pip install playwright)")
    executable = next((p for p in CHROMIUM_CANDIDATES if os.path.exists(p)), None) or shutil.which("chromium")
    if executable is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium):
    """A page in its own browser context (its own Streamlit session), downloads allowed."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("WHISPER_VIZ_SCREENSHOTS", "/tmp/whisper-viz-e2e"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
