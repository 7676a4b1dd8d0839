"""Explore page state: URL parsers, the URL round trip, zoom bounds and fitting, and the options views derive."""

import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

from whisper_viz.alignment.options import AlignmentOptions  # noqa: E402
from whisper_viz.ui import state  # noqa: E402


def publish_script(values):
    from whisper_viz.ui import state

    state.publish_to_url(values)


def restore_script():
    import streamlit as st

    from whisper_viz.ui import state

    state.restore_from_url()
    st.session_state["pending"] = [state.pending_heads(state.HEADS_A), state.pending_heads(state.HEADS_A)]


def fit_zoom_script(steps):
    import streamlit as st

    from whisper_viz.ui import state

    seen = []
    for owner, bounds in steps:
        state.fit_zoom(owner, bounds)
        seen.append(tuple(st.session_state[state.ZOOM]))
    st.session_state["seen"] = seen
    st.session_state["options"] = state.view_options(steps[-1][1])


def test_every_default_is_left_out_of_the_url():
    at = AppTest.from_function(publish_script, kwargs={"values": {state.ZOOM: None, state.HEADS_A: None}})
    for name, (_, default) in state.URL_FIELDS.items():
        at.session_state[name] = default
    at.run()
    assert not at.exception and at.query_params == {}


@pytest.mark.parametrize("name, text, value", [
    (state.DEVICE, "cpu", "cpu"), (state.SOURCE, "upload", "upload"), (state.VIEW, "raw", "raw"),
    (state.NORMALIZATION, "l2", "l2"), (state.MEDFILT, "3", 3), (state.POSTPROCESS, "0", False),
    (state.ALIGNER, "tuned", "tuned"), (state.WINDOW, "2", 2), (state.ZOOM, "1.25-3.50", (1.25, 3.5)),
    (state.SECTION, "compare", "compare"), (state.MODEL, "/models/small.pt", "/models/small.pt"),
])
def test_url_parsers_read_what_the_page_writes(name, text, value):
    parse, default = state.URL_FIELDS[name]
    assert parse(text) == value != default


@pytest.mark.parametrize("name, text", [
    (state.DEVICE, "tpu"), (state.SOURCE, "microphone"), (state.VIEW, "softmax"), (state.NORMALIZATION, "max"),
    (state.MEDFILT, "4"), (state.MEDFILT, "seven"), (state.POSTPROCESS, "yes"), (state.ALIGNER, "best"),
    (state.WINDOW, "first"), (state.ZOOM, "5-1"), (state.ZOOM, "2-2"), (state.ZOOM, "-1-3"), (state.ZOOM, "a-b"),
    (state.SECTION, "settings"),
])
def test_url_parsers_reject_what_the_page_never_writes(name, text):
    parse, _ = state.URL_FIELDS[name]
    with pytest.raises((ValueError, KeyError)):
        parse(text)


def test_url_round_trip_restores_the_view():
    written = AppTest.from_function(publish_script, kwargs={"values": {
        state.HEADS_A: "3:1,3:2", state.ZOOM: (1.25, 3.5), state.HEADS_B: "upper"}})
    written.session_state[state.VIEW] = "raw"
    written.session_state[state.MEDFILT] = 3
    written.session_state[state.POSTPROCESS] = False
    written.session_state[state.SECTION] = "heads"  # the default: left out
    written.run()
    params = dict(written.query_params)
    assert params == {"view": "raw", "medfilt": "3", "post": "0", "zoom": "1.25-3.50", "heads_b": "upper",
                      "heads": "3:1,3:2"}
    read = AppTest.from_function(restore_script)
    read.query_params.update({**params, "window": "x", "device": "tpu"})  # invalid values are ignored
    read.run()
    assert not read.exception
    got = {name: read.session_state[name] for name in ("view", "medfilt", "post", "zoom", "heads_b")}
    assert got == {"view": "raw", "medfilt": 3, "post": False, "zoom": (1.25, 3.5), "heads_b": "upper"}
    assert "window" not in read.session_state and "device" not in read.session_state
    assert read.session_state["pending"] == ["3:1,3:2", None]  # head set A's text is handed out once


def test_zoom_bounds_round_to_the_slider_step():
    assert state.zoom_bounds(0.0, 9.74) == (0.0, 9.7)
    assert state.zoom_bounds(28.36, 30.0) == (28.4, 58.4)


@pytest.mark.parametrize("start, steps, expected", [
    # a zoom from a shared link (no owner yet) is kept when it fits the first clip
    ((2.0, 5.0), [(("clip", 0), (0.0, 9.7))], [(2.0, 5.0)]),
    # a zoom chosen on one clip is not carried to the next, even when it fits (the reported bug)
    ((0.0, 9.7), [(("a", 0), (0.0, 9.7)), (("b", 0), (0.0, 11.2))], [(0.0, 9.7), (0.0, 11.2)]),
    # nor to another window of the same clip
    ((2.0, 5.0), [(("a", 0), (0.0, 30.0)), (("a", 1), (28.4, 45.0))], [(2.0, 5.0), (28.4, 45.0)]),
    # the same clip and window keep the user's zoom; one that no longer fits becomes the whole window
    ((2.0, 5.0), [(("a", 0), (0.0, 9.7)), (("a", 0), (0.0, 9.7))], [(2.0, 5.0), (2.0, 5.0)]),
    ((2.0, 12.0), [(("a", 0), (0.0, 9.7))], [(0.0, 9.7)]),
    (None, [(("a", 0), (0.0, 3.6))], [(0.0, 3.6)]),
])
def test_fit_zoom(start, steps, expected):
    at = AppTest.from_function(fit_zoom_script, kwargs={"steps": steps})
    if start is not None:
        at.session_state[state.ZOOM] = start
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["seen"] == expected
    whole = expected[-1] == steps[-1][1]
    assert at.session_state["options"].zoom == (None if whole else expected[-1])  # the whole window: no zoom


def test_view_options_give_the_alignment_and_the_drawn_matrix_options():
    options = state.ViewOptions("filtered", "l2", 5, False, "reference", 0, None)
    assert options.alignment == AlignmentOptions("l2", 5, False)
    assert options.display == options.alignment  # median-filtered: what DTW runs on
    raw = state.ViewOptions("raw", "l2", 5, False, "reference", 0, None)
    assert raw.display == AlignmentOptions("none", 1, False)  # renormalized softmax only
    normalized = state.ViewOptions("normalized", "l2", 5, True, "reference", 0, None)
    assert normalized.display == AlignmentOptions("l2", 1, True) and normalized.alignment.medfilt_width == 5
