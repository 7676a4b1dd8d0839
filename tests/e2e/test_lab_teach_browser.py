"""The Silence lab and Teach pages in a real browser: Debian's Chromium driving `streamlit run app.py`."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from whisper_viz.heads import OFFICIAL_HEADS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 180_000  # a cold server loads the model and compiles numba kernels first


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + START_TIMEOUT_S
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("streamlit did not start")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    yield page
    context.close()


def test_silence_lab_runs_an_experiment(app_url, page):
    page.goto(f"{app_url}/silence")
    page.get_by_role("heading", name="Silence lab").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()  # the waveform, once the original is aligned
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_role("heading", name="Per-word shift").wait_for()
    page.get_by_role("heading", name="Original and variant on one time axis").wait_for()
    page.get_by_role("button", name="Download all shifts (JSON)").wait_for()
    page.locator("[data-testid='stDataFrame']").wait_for()
    assert page.locator(".js-plotly-plot").count() >= 3  # waveform, shift error sweep, stacked heatmaps
    assert not page.locator("[data-testid='stException']").count(), page.locator("[data-testid='stException']").all_inner_texts()


def test_teach_walkthrough_reaches_every_step(app_url, page):
    page.goto(f"{app_url}/teach")
    page.get_by_role("heading", name="How Whisper's attention becomes word timings").wait_for()
    page.get_by_text("encoder frames", exact=False).first.wait_for()
    for _ in range(3):  # frames -> one head -> good and bad -> DTW
        page.get_by_role("button", name="Next step →").click()
        page.wait_for_timeout(500)
    page.get_by_text("Path steps shown").wait_for()
    page.get_by_role("button", name="Next step →").click()  # -> the heads dump
    page.get_by_text(OFFICIAL_HEADS["tiny.en"][0].decode("ascii")).wait_for()
    page.get_by_role("button", name="Next step →").click()  # -> silence in one click
    page.get_by_role("button", name="Run the silence experiment").click()
    page.locator("[data-testid='stDataFrame']").wait_for()
    assert page.locator(".js-plotly-plot").count() >= 1
    assert not page.locator("[data-testid='stException']").count(), page.locator("[data-testid='stException']").all_inner_texts()
