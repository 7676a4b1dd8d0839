"""Browser fixtures: `streamlit run app.py` on a free localhost port, and Debian's Chromium through Playwright.

The server and the browser are started once per test module and stopped (the server by its own process
id) at the module's end, so modules with their own Playwright fixtures can run after this one. Screenshots
go to $WHISPER_VIZ_SCREENSHOTS or /tmp/whisper-viz-e2e.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from app_server import CHROMIUM_ARGS, VIEWPORT, _free_port, _healthy  # noqa: E402  (one copy, shared with bench/)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SERVER_START_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def app_url():
    """Base URL of a fresh `streamlit run app.py` server, headless, on a free port."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"whisper-viz-e2e-server-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start on {url}; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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
