"""The Silence lab and Teach pages under Streamlit's AppTest (real tiny.en runs, no browser)."""

import pytest

from whisper_viz.heads import OFFICIAL_HEADS

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

TIMEOUT_S = 180


def silence_app():
    from whisper_viz.ui.pages import silence as silence_page

    silence_page.render()


def teach_app():
    from whisper_viz.ui.pages import teach as teach_page

    teach_page.render()


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_silence_page_runs_an_experiment_and_shows_shifts():
    at = AppTest.from_function(silence_app, default_timeout=TIMEOUT_S).run()
    _no_errors(at)
    assert at.title[0].value == "Silence lab"
    assert at.selectbox(key="silence_clip").value == "pause7.flac"
    assert "McDonalds" in at.text_area(key="silence_text").value
    assert at.selectbox(key="silence_word").value == 6  # after "here?"
    at.multiselect(key="silence_durations").set_value([2.0])
    at.multiselect(key="silence_heads").set_value(["official"])
    at.button(key="silence_run").click().run()
    _no_errors(at)
    table = at.dataframe[0].value
    assert list(table["#"]) == list(range(1, 10))
    assert list(table["expected (s)"]) == [0.0] * 6 + [2.0] * 3
    assert (abs(table["Δ start (s)"][6:] - 2.0) < 0.2).all()
    assert len(at.get("plotly_chart")) >= 3  # waveform, sweep, stacked heatmaps


def test_silence_page_insert_at_a_time_needs_no_word():
    at = AppTest.from_function(silence_app, default_timeout=TIMEOUT_S).run()
    at.radio(key="silence_mode").set_value("time").run()
    at.number_input(key="silence_at").set_value(2.5).run()
    _no_errors(at)
    assert at.number_input(key="silence_at").value == 2.5
    at.multiselect(key="silence_durations").set_value([])
    at.run()
    assert any("at least one silence duration" in i.value for i in at.info)


def test_teach_page_walks_through_every_step():
    at = AppTest.from_function(teach_app, default_timeout=TIMEOUT_S).run()
    _no_errors(at)
    steps = at.radio(key="teach_step")
    assert steps.value == "frames" and len(steps.options) == 6
    assert len(at.dataframe[0].value) > 5
    at.button(key="teach_next").click().run()  # the Next button moves on
    _no_errors(at)
    assert at.radio(key="teach_step").value == "head"
    at.slider(key="teach_layer").set_value(0).run()
    _no_errors(at)
    at.radio(key="teach_step").set_value("good_bad").run()
    _no_errors(at)
    assert len(at.metric) == 2 and at.metric[0].label.startswith("The best head")
    at.radio(key="teach_step").set_value("dtw").run()
    _no_errors(at)
    at.slider(key="teach_dtw_step").set_value(5).run()
    _no_errors(at)
    assert "Step 5 of" in at.caption[-1].value
    at.radio(key="teach_step").set_value("dump").run()
    _no_errors(at)
    assert at.code[0].value == OFFICIAL_HEADS["tiny.en"][0].decode("ascii")  # openai-whisper's own string
    at.text_input(key="teach_dump").set_value("3:1").run()
    _no_errors(at)
    assert at.code[0].value != OFFICIAL_HEADS["tiny.en"][0].decode("ascii")
    at.radio(key="teach_step").set_value("silence").run()
    at.button(key="teach_run_silence").click().run()
    _no_errors(at)
    shifts = at.dataframe[0].value
    assert list(shifts["expected (s)"]) == [0.0] * 6 + [7.0] * 3
