"""The app in a real browser: upload a 30 s clip, see the heatmap, toggle heads, play a word, download exports.

The focused heatmap is an SVG picture by default and the plotly figure with "Interactive chart" on
(`interactive=1` in a link); hovering cells needs the latter.

A toggle must update the heatmap and the word table (its canvas, what is seen, and its accessibility
text, which the grid updates later). How fast is measured by bench/bench_toggle.py, not here.
"""

import pytest
import soundfile as sf
from toggle_probes import ARM_CLICK_CLOCK, HEATMAP_TITLE, SNAPSHOT, WAIT_FOR_UPDATE  # bench/, on sys.path (conftest.py)

pytestmark = pytest.mark.browser

FIRST_LOAD_TIMEOUT_MS = 300_000  # model load + numba compilation + analysis on a busy CPU
UPDATE_TIMEOUT_MS = 30_000
CLIP_SECONDS = 30
TOGGLES = 4  # a head on, then off again, twice
HEATMAP = ".st-key-heatmap_a .js-plotly-plot"
PICTURE = ".st-key-heatmap_a svg.wv-picture"
WORD_TABLE = ".st-key-word_table table"

READY = """() => { """ + HEATMAP_TITLE + """ const mosaic = document.querySelector('.st-key-mosaic .js-plotly-plot');
  return !!(heatmapTitle() && mosaic && mosaic._fullLayout); }"""
MOSAIC_POINT = """(index) => { const gd = document.querySelector('.st-key-mosaic .js-plotly-plot');
  const layout = gd._fullLayout, trace = gd.data.find((t) => t.name === 'heads'), box = gd.getBoundingClientRect();
  return [box.left + layout._size.l + layout.xaxis.l2p(trace.x[index]),
          box.top + layout._size.t + layout.yaxis.l2p(trace.y[index])]; }"""

# Pixel of the heatmap cell at (middle of the time axis, token row), and the row's token text as the axis has it.
HEATMAP_ROW_POINT = """(row) => { const gd = document.querySelector('.st-key-heatmap_a .js-plotly-plot');
  const layout = gd._fullLayout, box = gd.getBoundingClientRect(), y = layout.yaxis;
  const tick = y.tickvals.indexOf(row);
  const text = tick >= 0 ? y.ticktext[tick] : y.labelalias[String(row)];
  return [box.left + layout._size.l + layout.xaxis.l2p((layout.xaxis.range[0] + layout.xaxis.range[1]) / 2),
          box.top + layout._size.t + y.l2p(row), text, tick >= 0]; }"""
HOVER_TEXT = """() => Array.from(document.querySelectorAll('.st-key-heatmap_a .hoverlayer text'))
  .map((t) => t.textContent).join(' | ')"""


@pytest.fixture(scope="module")
def clip30(data_dir, tmp_path_factory):
    """The first 30 s of the committed 45 s clip, as a FLAC file to upload."""
    audio, rate = sf.read(data_dir / "long45.flac", dtype="float32")
    path = tmp_path_factory.mktemp("clips") / "clip30.flac"
    sf.write(path, audio[: CLIP_SECONDS * rate], rate)
    return path


def _wait_for_heatmap(page, timeout=FIRST_LOAD_TIMEOUT_MS):
    """Wait until the heatmap (picture or figure), the word table and the mosaic are drawn (plotly done,
    handlers attached)."""
    page.wait_for_selector(f"{HEATMAP}, {PICTURE}", timeout=timeout)
    page.wait_for_selector(WORD_TABLE, state="attached", timeout=timeout)
    page.wait_for_function(READY, timeout=timeout)


def _toggle(page, key: str) -> dict:
    """Click a head's checkbox; milliseconds until the table and the heatmap changed (None = did not)."""
    before = page.evaluate(SNAPSHOT)
    page.evaluate(ARM_CLICK_CLOCK)
    page.click(f".st-key-{key} label")
    return page.evaluate(WAIT_FOR_UPDATE, [before, UPDATE_TIMEOUT_MS])


def _checked(page, key: str) -> bool:
    return page.is_checked(f".st-key-{key} input")


def test_upload_toggle_play_and_export(page, app_url, clip30, screenshot_dir):
    page.goto(f"{app_url}/?source=upload&interactive=1")
    page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(clip30))
    _wait_for_heatmap(page)
    page.wait_for_selector(HEATMAP, timeout=UPDATE_TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "explore_30s.png"), full_page=True)
    assert "clip30.flac" in page.inner_text("body")

    # hovering a cell names its token, on rows with a tick label and on rows whose label was thinned out
    page.locator(HEATMAP).scroll_into_view_if_needed()
    seen = set()
    for row in (1, 2, 3, 10, 11):
        x, y, text, has_tick = page.evaluate(HEATMAP_ROW_POINT, row)
        page.mouse.move(x, y)
        assert text.strip(), (row, text)
        # the label of the cell under the pointer: its token's text, its time and its value
        page.wait_for_function(f"(token) => {{ const h = ({HOVER_TEXT})(); return h.includes(token) && h.includes('time'); }}",
                               arg=text.strip(), timeout=UPDATE_TIMEOUT_MS)
        seen.add(has_tick)
    assert seen == {True, False}, "rows with and without a tick label were both hovered"
    page.screenshot(path=str(screenshot_dir / "heatmap_hover.png"))
    page.mouse.move(0, 0)

    # every toggle must redraw the heatmap and the table (None = not within UPDATE_TIMEOUT_MS); how fast is
    # measured by bench/bench_toggle.py against earlier figures, never by a time bound in a test
    updates = [_toggle(page, "head_0_1") for _ in range(TOGGLES)]
    assert all(m["heatmap"] is not None for m in updates), updates
    assert updates[0]["table"] is not None, "adding head 0:1 should move some words"
    assert any(m["table"] is not None and m["canvas"] is not None for m in updates), updates
    assert not _checked(page, "head_0_1")  # an even number of toggles leaves it off

    table = page.locator(".st-key-word_table [data-testid='stDataFrameResizable']")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    audio_players = page.locator("[data-testid='stAudio']").count()
    page.mouse.move(box["x"] + 15, box["y"] + 35 + 17)  # the row marker of the first word shows on hover
    page.wait_for_timeout(500)
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.screenshot(path=str(screenshot_dir / "word_selected.png"), full_page=True)
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=\"stAudio\"]').length > n",
                           arg=audio_players, timeout=UPDATE_TIMEOUT_MS)

    page.get_by_text("Export", exact=True).click()
    page.wait_for_selector(".st-key-dl_words_csv button", timeout=UPDATE_TIMEOUT_MS)
    with page.expect_download(timeout=UPDATE_TIMEOUT_MS) as download:
        page.click(".st-key-dl_words_csv button")
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("word,start,end,probability") and text.count("\n") > 20
    page.screenshot(path=str(screenshot_dir / "export.png"), full_page=True)


def test_clicking_a_thumbnail_toggles_its_head(page, app_url, screenshot_dir):
    page.goto(app_url)  # the default example, pause7.flac
    _wait_for_heatmap(page)
    page.wait_for_selector(".st-key-mosaic .js-plotly-plot", timeout=UPDATE_TIMEOUT_MS)
    page.wait_for_selector(".st-key-head_3_5 input", state="attached", timeout=UPDATE_TIMEOUT_MS)
    assert not _checked(page, "head_0_1")
    page.locator(".st-key-mosaic").scroll_into_view_if_needed()
    before = page.evaluate(SNAPSHOT)
    x, y = page.evaluate(MOSAIC_POINT, 1)  # marker 1 = layer 0, head 1
    page.mouse.move(x, y)
    page.wait_for_timeout(500)  # plotly picks the point under the pointer on hover
    page.mouse.click(x, y)
    page.wait_for_function("(title) => { " + HEATMAP_TITLE + " return heatmapTitle() && heatmapTitle() !== title; }",
                           arg=before[1], timeout=UPDATE_TIMEOUT_MS)
    # the grid is drawn after the heatmap and the mosaic: wait for it to follow
    page.wait_for_function("() => document.querySelector('.st-key-head_0_1 input').checked", timeout=UPDATE_TIMEOUT_MS)
    # the shared link follows (Playwright's page.url lags; Streamlit may write the URL after drawing the grid)
    page.wait_for_function("() => location.href.includes('heads=0%3A1%2C')", timeout=UPDATE_TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "mosaic_click.png"), full_page=True)


def test_a_shared_link_restores_the_view_and_sessions_stay_apart(chromium, page, app_url, data_dir):
    page.goto(f"{app_url}/?example=hello.flac&heads=3:1,3:2&view=raw")
    _wait_for_heatmap(page)
    page.wait_for_selector(".st-key-head_3_5 input", state="attached", timeout=UPDATE_TIMEOUT_MS)  # the grid's last
    assert _checked(page, "head_3_1") and _checked(page, "head_3_2") and not _checked(page, "head_1_0")
    assert "2 heads" in page.evaluate(SNAPSHOT)[1]
    assert "hello.flac" in page.inner_text("body")

    other = chromium.new_context(viewport={"width": 1500, "height": 1400}).new_page()
    try:
        other.goto(f"{app_url}/?source=upload")
        other.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(data_dir / "pause7.flac"))
        _wait_for_heatmap(other)
        assert "McDonald" in other.inner_text("body")
    finally:
        other.context.close()
    page.reload()
    _wait_for_heatmap(page)
    assert "McDonald" not in page.inner_text("body")  # the other session's audio never shows here


def test_the_default_page_shows_a_picture_that_switches_to_the_interactive_chart(page, app_url, screenshot_dir):
    page.goto(app_url)  # the default example, pause7.flac: "is there a McDonald's around here? ... I'm here often."
    _wait_for_heatmap(page)
    picture = page.locator(PICTURE)
    assert page.locator(HEATMAP).count() == 0  # no plotly figure in the heatmap's place
    assert picture.locator(".wv-title").text_content().startswith("Head set A · ")
    assert picture.locator("image").first.get_attribute("href").startswith("data:image/png;base64,")
    assert len(picture.locator("polyline.wv-path").get_attribute("points").split()) > 4  # the DTW path
    tips = picture.locator("rect.wv-word title").all_text_contents()  # a word's text and times on hover
    assert any(t.startswith("McDonald") and " s" in t for t in tips), tips
    box = picture.bounding_box()
    assert box["width"] > 300 and box["height"] > 150, box
    page.screenshot(path=str(screenshot_dir / "heatmap_picture.png"))

    title = picture.locator(".wv-title").text_content()
    page.get_by_text("Interactive chart").click()
    page.wait_for_function("(title) => { const g = document.querySelector('.st-key-heatmap_a .js-plotly-plot');"
                           " return !!(g && g._fullLayout && g.layout.title.text === title); }",
                           arg=title, timeout=UPDATE_TIMEOUT_MS)
    assert page.locator(PICTURE).count() == 0
    page.wait_for_function("() => location.href.includes('interactive=1')", timeout=UPDATE_TIMEOUT_MS)  # shareable
