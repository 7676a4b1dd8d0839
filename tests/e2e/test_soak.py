"""Many sessions on one server: a soak of concurrent head toggles, and cancelling a long analysis.

Soak: each of four sessions opens the default page (the analysis is shared), then the four take turns
clicking without waiting for one another, ten toggles each, every session on heads no other session
touches. At the end every session's checkboxes, heatmap title and link hold its own head set and the page
shows no error. Nothing here is timed: tests/e2e only checks behaviour (bench/ measures speed).
"""

import numpy as np
import pytest
import soundfile as sf
from toggle_probes import HEATMAP_TITLE  # bench/, on sys.path (conftest.py)

from whisper_viz.heads import HeadSet

pytestmark = pytest.mark.browser

SESSIONS = 4
TOGGLES = 10
SHAPE = (4, 6)  # tiny.en
LOAD_TIMEOUT_MS = 300_000
UPDATE_TIMEOUT_MS = 60_000
HEATMAP_TITLE_IS = "(expected) => { " + HEATMAP_TITLE + " return heatmapTitle() === expected; }"
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _heads_of(session: int) -> list[tuple[int, int]]:
    """The heads only `session` toggles: every SESSIONS-th head, starting at its own."""
    return [divmod(i, SHAPE[1]) for i in range(session, SHAPE[0] * SHAPE[1], SESSIONS)]


def _title(heads: HeadSet) -> str:
    return f"Head set A · {len(heads)} heads"


def test_four_sessions_toggling_at_once_each_see_only_their_own_heads(chromium, app_url):
    contexts = [chromium.new_context(viewport={"width": 1500, "height": 1400}) for _ in range(SESSIONS)]
    pages = [context.new_page() for context in contexts]
    try:
        for page in pages:
            page.goto(app_url)
        official = HeadSet.official("tiny.en")
        for page in pages:
            page.wait_for_function(HEATMAP_TITLE_IS, arg=_title(official), timeout=LOAD_TIMEOUT_MS)
            page.wait_for_selector(".st-key-head_3_5 input", state="attached", timeout=LOAD_TIMEOUT_MS)
        expected = [official] * SESSIONS
        for step in range(TOGGLES):
            for session, page in enumerate(pages):  # click in every session before waiting for any
                layer, head = _heads_of(session)[step % len(_heads_of(session))]
                expected[session] = expected[session].toggle(layer, head)
                page.click(f".st-key-head_{layer}_{head} label")
            for session, page in enumerate(pages):
                page.wait_for_function(HEATMAP_TITLE_IS, arg=_title(expected[session]), timeout=UPDATE_TIMEOUT_MS)
        for session, page in enumerate(pages):
            heads = expected[session]
            link = heads.to_text() or "none"
            page.wait_for_function("(text) => new URLSearchParams(location.search).get('heads') === text",
                                   arg=link, timeout=UPDATE_TIMEOUT_MS)
            for layer in range(SHAPE[0]):
                for head in range(SHAPE[1]):
                    checked = page.is_checked(f".st-key-head_{layer}_{head} input")
                    assert checked == bool(heads.mask[layer, head]), (session, layer, head)
            assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
        assert len({h.to_text() for h in expected}) == SESSIONS  # the four ended on four different sets
    finally:
        for context in contexts:
            context.close()


def test_a_long_analysis_shows_progress_and_can_be_cancelled(page, app_url, tmp_path):
    """Three minutes of noise take tiny.en many seconds; Cancel stops it and frees the model for the next."""
    noise = tmp_path / "noise180.flac"
    sf.write(noise, (np.random.default_rng(0).standard_normal(180 * 16000) * 0.1).astype(np.float32), 16000)
    page.goto(f"{app_url}/?source=upload")
    page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(noise))
    page.wait_for_selector('[data-testid="stProgress"]', timeout=LOAD_TIMEOUT_MS)
    page.click("[class*='st-key-cancel_analysis'] button", timeout=UPDATE_TIMEOUT_MS)
    page.wait_for_function("() => document.body.innerText.includes('noise180.flac was cancelled')",
                           timeout=UPDATE_TIMEOUT_MS)
    assert page.locator(ERRORS).count() == 0
    page.goto(app_url)  # the model is free again: the default page analyses (or shares) its clip
    page.wait_for_function(HEATMAP_TITLE_IS, arg=_title(HeadSet.official("tiny.en")), timeout=LOAD_TIMEOUT_MS)
