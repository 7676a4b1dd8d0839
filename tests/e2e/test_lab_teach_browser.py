"""The Silence lab and Teach pages in a real browser: Debian's Chromium driving `streamlit run app.py`.

Uses the `app_url` and `page` fixtures of tests/e2e/conftest.py (one server and browser per module).
"""

import pytest

from whisper_viz.heads import OFFICIAL_HEADS

pytestmark = pytest.mark.browser
RUN_TIMEOUT_MS = 180_000  # a cold server loads the model and compiles numba kernels first


def test_silence_lab_runs_an_experiment(app_url, page, screenshot_dir):
    page.set_default_timeout(RUN_TIMEOUT_MS)
    page.goto(f"{app_url}/silence")
    page.get_by_role("heading", name="Silence lab").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()  # the waveform, once the original is aligned
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_role("heading", name="Per-word shift").wait_for()
    page.get_by_role("heading", name="Original and variant on one time axis").wait_for()
    page.get_by_role("button", name="Download all shifts (JSON)").wait_for()
    page.locator("[data-testid='stDataFrame']").wait_for()
    assert page.locator(".js-plotly-plot").count() >= 3  # waveform, shift error sweep, stacked heatmaps
    page.wait_for_timeout(1000)  # plotly finishes drawing
    page.screenshot(path=str(screenshot_dir / "silence_lab.png"), full_page=True)
    assert not page.locator("[data-testid='stException']").count(), page.locator("[data-testid='stException']").all_inner_texts()


def test_teach_walkthrough_reaches_every_step(app_url, page, screenshot_dir):
    page.set_default_timeout(RUN_TIMEOUT_MS)
    page.goto(f"{app_url}/teach")
    page.get_by_role("heading", name="How Whisper's attention becomes word timings").wait_for()
    page.get_by_text("encoder frames", exact=False).first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(screenshot_dir / "teach_1.png"), full_page=True)
    for step in range(2, 5):  # frames -> one head -> good and bad -> DTW
        page.get_by_role("button", name="Next step →").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshot_dir / f"teach_{step}.png"), full_page=True)
    page.get_by_text("Path steps shown").wait_for()
    page.get_by_role("button", name="Next step →").click()  # -> the heads dump
    page.get_by_text(OFFICIAL_HEADS["tiny.en"][0].decode("ascii")).wait_for()
    page.screenshot(path=str(screenshot_dir / "teach_5.png"), full_page=True)
    page.get_by_role("button", name="Next step →").click()  # -> silence in one click
    page.get_by_role("button", name="Run the silence experiment").click()
    page.locator("[data-testid='stDataFrame']").wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(screenshot_dir / "teach_6.png"), full_page=True)
    assert page.locator(".js-plotly-plot").count() >= 1
    assert not page.locator("[data-testid='stException']").count(), page.locator("[data-testid='stException']").all_inner_texts()
