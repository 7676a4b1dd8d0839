"""The Explore page under Streamlit's AppTest: real tiny.en runs on the bundled clips, no browser."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

from whisper_viz.heads import HeadSet  # noqa: E402
from whisper_viz.results import WordTiming  # noqa: E402
from whisper_viz.ui.widgets import words as words_ui  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 180
TINY_SHAPE = (4, 6)


def explore_app():
    from whisper_viz.ui.pages import explore

    explore.render()


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _words(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["word"])


def _start_times(at: AppTest) -> list[float]:
    return list(at.dataframe[0].value["start (s)"])


def _heads(at: AppTest) -> HeadSet:
    return at.session_state["_heads_a"]


@pytest.fixture()
def example_page() -> AppTest:
    """The page after analysing the default example (pause7.flac) with tiny.en."""
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run()
    _no_errors(at)
    return at


def test_router_opens_explore_on_the_two_sentence_example():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    _no_errors(at)
    assert at.title[0].value == "Where does Whisper listen?"
    assert "pause7.flac" in at.caption[0].value
    assert _words(at)[:2] == ["is", "there"]


def test_toggling_a_head_updates_set_url_and_word_table(example_page):
    at = example_page
    official = _heads(at)
    assert len(at.checkbox) == TINY_SHAPE[0] * TINY_SHAPE[1]
    assert at.checkbox(key="head_3_1").value and not at.checkbox(key="head_0_1").value
    at.button(key="preset_none").click().run()
    assert _heads(at).is_empty
    assert any("at least one head" in w.value for w in at.warning)
    at.checkbox(key="head_0_1").check().run()  # one noisy head alone: words land elsewhere
    _no_errors(at)
    assert _heads(at).pairs() == ((0, 1),)
    assert at.query_params["heads"] == "0:1"
    noisy = _start_times(at)
    at.button(key="preset_official").click().run()
    assert _heads(at) == official
    assert _start_times(at) != noisy
    assert at.checkbox(key="head_0_1").value is False  # the grid follows presets


def test_tuned_preset_picks_its_heads_and_aligner_and_keeps_words_out_of_the_pause(example_page):
    from whisper_viz.alignment.tuned import TUNED_HEADS

    at = example_page
    analyses = len(at.session_state["_session_memory"])
    at.button(key="preset_tuned").click().run()
    _no_errors(at)
    assert _heads(at).pairs() == tuple(sorted(TUNED_HEADS["tiny.en"].heads))
    assert at.selectbox(key="aligner").value == "tuned"  # the page re-ran whole: the view control follows
    assert at.toggle(key="post").disabled
    assert at.query_params["aligner"] == "tuned"
    assert len(at.session_state["_session_memory"]) == analyses  # no new model run
    table = at.dataframe[0].value
    gaps = np.array(table["start (s)"][1:]) - np.array(table["end (s)"][:-1])
    assert gaps.max() > 6.5  # the 7 s pause stays empty: no word stretches into it or starts inside it
    confidence = np.array(table["confidence"])  # the tuned aligner rates every word; unsure ones are marked
    assert ((0 <= confidence) & (confidence <= 1)).all()
    assert list(table["sure"]) == ["⚠" if c < 0.5 else "" for c in confidence]
    assert any("aligner is unsure" in c.value or "sure of every word" in c.value for c in at.caption)
    # pause7's 7 s of digital zeros are taken out before the tuned aligner times words, and the page says so
    assert any(re.search(r"without its 7\.\d s of digital silence \(1 stretch", c.value) for c in at.caption)
    at.selectbox(key="aligner").set_value("reference").run()
    _no_errors(at)
    assert "aligner" not in at.query_params
    assert not any("digital silence" in c.value for c in at.caption)
    assert "confidence" not in at.dataframe[0].value  # the reference aligner makes no such claim


def test_top_k_and_pasted_dump_set_the_heads(example_page):
    at = example_page
    at.number_input(key="top_k").set_value(3)
    at.button(key="preset_top_k").click().run()
    assert len(_heads(at)) == 3
    at.text_input(key="paste_heads").input("ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00").run()  # tiny.en's official
    assert _heads(at) == HeadSet.official("tiny.en")
    at.text_input(key="paste_heads").input("not a dump").run()
    assert at.error and "base85" in at.error[0].value
    assert _heads(at) == HeadSet.official("tiny.en")  # a bad paste changes nothing


def test_view_options_change_the_matrix_without_rerunning_the_model(example_page):
    at = example_page
    analyses = len(at.session_state["_session_memory"])
    at.segmented_control(key="view").set_value("raw").run()
    at.select_slider(key="medfilt").set_value(1).run()
    at.toggle(key="post").set_value(False).run()
    _no_errors(at)
    assert len(at.session_state["_session_memory"]) == analyses
    assert at.query_params["view"] == "raw" and at.query_params["medfilt"] == "1"


def test_upload_analyses_the_file_and_bad_files_show_errors(data_dir):
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload").set_value(("hello.wav", (data_dir / "hello.wav").read_bytes(), "audio/wav")).run()
    _no_errors(at)
    assert "hello.wav" in at.caption[0].value
    assert "world" in " ".join(_words(at)).lower()
    at.file_uploader(key="upload").set_value(("broken.wav", b"RIFF\x00\x00garbage" * 10, "audio/wav")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [  # the decoder's message, shown in the page
        "the uploaded audio is not a readable audio file (Format not recognised.); supported formats: WAV, FLAC, "
        "OGG/Vorbis or MP3 (or AIFF, AU, CAF and the other formats libsndfile reads)"]
    at.file_uploader(key="upload").set_value(("notes.txt", b"hello", "text/plain")).run()
    assert not at.exception
    assert any("nsupported format" in e.value for e in at.error)


def test_a_new_clip_is_shown_whole_not_in_the_previous_clips_zoom(example_page, data_dir):
    at = example_page  # pause7.flac: 9.7 s
    assert at.slider(key="zoom").value == (0.0, 9.7)
    at.radio(key="source").set_value("upload").run()
    clip = data_dir / "speech20.flac"  # longer than the example: the old zoom would fit inside it
    at.file_uploader(key="upload").set_value(("speech20.flac", clip.read_bytes(), "audio/flac")).run()
    _no_errors(at)
    end = at.slider(key="zoom").max
    assert end > 18 and at.slider(key="zoom").value == (0.0, end)
    assert _start_times(at)[-1] < end  # the last words are inside the heatmap
    assert "zoom" not in at.query_params
    at.slider(key="zoom").set_value((2.0, 6.0)).run()  # a zoom picked on this clip stays with it
    _no_errors(at)
    assert at.slider(key="zoom").value == (2.0, 6.0) and at.query_params["zoom"] == "2.00-6.00"


def test_forced_mode_aligns_the_pasted_transcript():
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run()
    at.selectbox(key="example").set_value("hello.flac").run()
    at.toggle(key="forced").set_value(True).run()
    at.button(key="use_example_text").click().run()
    _no_errors(at)
    assert "forced alignment" in at.caption[0].value
    assert _words(at)[:2] == ["Hello", "world."]


@pytest.mark.parametrize("path", ["/etc/shadow", "/root", "/etc/nonexistent"])
def test_a_model_path_in_the_link_is_never_touched_and_gets_one_answer(path, monkeypatch):
    """A file, a folder and a missing path: the same warning, and no model is looked up by that path."""
    import os

    from whisper_viz.weights import registry

    looked_up, touched = [], []
    real_resolve, real_stat = registry.resolve_source, os.stat
    monkeypatch.setattr(registry, "resolve_source", lambda name: looked_up.append(str(name)) or real_resolve(name))
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: touched.append(str(p)) or real_stat(p, *a, **k))
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S)
    at.query_params["model"] = path
    at.run()
    monkeypatch.undo()
    _no_errors(at)
    assert [w.value for w in at.warning] == [
        "The link names a model that is not one of this server's models (tiny.en, base); showing tiny.en. Local "
        "model folders load only when the operator starts the app with `--allow-models FOLDER`."]
    assert at.selectbox(key="model").options == ["tiny.en", "base"]  # no free-text path box
    assert path not in looked_up and all(name in ("tiny.en", "base") for name in looked_up)
    assert touched and path not in touched  # the server looked at files, never at this one
    assert not at.sidebar.text_input  # no field takes a path


def test_compare_section_scores_both_sets_and_reads_references(example_page, tmp_path):
    at = example_page
    at.segmented_control(key="section").set_value("compare").run()
    at.text_input(key="heads_b").input("3:1").run()
    _no_errors(at)
    sets = at.dataframe[0].value
    assert list(sets["set"]) == ["A", "B"] and "score" in sets
    words = [{"word": w, "start": s, "end": e} for w, s, e in [("is", 0.0, 0.2), ("there", 0.2, 0.4)]]
    at.file_uploader(key="reference_upload").set_value(
        ("ref.json", json.dumps(words).encode(), "application/json")).run()
    _no_errors(at)
    assert "start MAE (ms)" in at.dataframe[0].value
    reference_mae = list(at.dataframe[0].value["start MAE (ms)"])
    at.selectbox(key="aligner").set_value("tuned").run()  # the set table scores the tuned words shown
    _no_errors(at)
    assert any("words shown" in c.value for c in at.caption)
    assert list(at.dataframe[0].value["start MAE (ms)"]) != reference_mae
    at.text_input(key="heads_b").input("9:9").run()
    assert at.error and "out of range" in at.error[0].value


def test_export_section_offers_every_format(example_page):
    at = example_page
    at.segmented_control(key="section").set_value("export").run()
    _no_errors(at)
    labels = {b.label for b in at.download_button}
    assert {"JSON", "CSV", "SRT", "WebVTT", "Attention (NPZ)", "Heatmap (PNG)", "Heatmap (HTML)"} <= labels
    assert at.code[0].value == "ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00"  # official set, openai-whisper's dump
    assert at.code[1].value == HeadSet.official("tiny.en").to_text()


def test_a_shared_link_restores_example_heads_and_view():
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S)
    at.query_params.update({"example": "hello.flac", "heads": "3:1,3:2", "view": "normalized", "medfilt": "3",
                            "heads_b": "upper", "section": "compare"})
    at.run()
    _no_errors(at)
    assert "hello.flac" in at.caption[0].value
    assert _heads(at).pairs() == ((3, 1), (3, 2))
    assert at.segmented_control(key="view").value == "normalized"
    assert at.select_slider(key="medfilt").value == 3
    assert at.text_input(key="heads_b").value == "upper"
    assert at.query_params["heads_b"] == "upper" and at.query_params["heads"] == "3:1,3:2"


def _heatmap_kinds(at: AppTest) -> tuple[int, int]:
    """(SVG pictures, plotly figures) drawn in the focused heatmap's place."""
    pictures = [m for m in at.markdown if 'class="wv-picture"' in m.value]
    figures = [c for c in at.get("plotly_chart") if c.proto.id.endswith("heatmap_a_chart")]
    return len(pictures), len(figures)


def test_the_heatmap_is_a_picture_until_the_interactive_chart_is_asked_for(example_page):
    assert _heatmap_kinds(example_page) == (1, 0)
    assert "interactive" not in example_page.query_params  # the default stays out of links
    example_page.toggle(key="interactive").set_value(True).run()
    _no_errors(example_page)
    assert _heatmap_kinds(example_page) == (0, 1) and example_page.query_params["interactive"] == "1"
    shared = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S)
    shared.query_params.update({"interactive": "1"})
    shared.run()
    _no_errors(shared)
    assert _heatmap_kinds(shared) == (0, 1) and shared.toggle(key="interactive").value


def test_a_shared_link_restores_the_zoom():
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S)
    at.query_params.update({"example": "hello.flac", "zoom": "1.00-2.50"})
    at.run()
    _no_errors(at)
    assert at.slider(key="zoom").value == (1.0, 2.5) and at.query_params["zoom"] == "1.00-2.50"


def test_word_audio_is_exactly_the_word_span():
    audio = np.arange(48000, dtype=np.float32)
    word = WordTiming(" hi", 0.52, 0.81, 0.9)
    clip = words_ui.word_audio(audio, word)
    assert clip[0] == int(0.52 * 16000) and len(clip) == int(0.81 * 16000) - int(0.52 * 16000)


def test_an_operator_allowed_model_folder_is_offered_by_name(tiny_model, monkeypatch):
    folder = tiny_model.source.weights[0].parent  # tiny.en's CTranslate2 folder
    monkeypatch.setenv("WHISPER_VIZ_ALLOW_MODELS", str(folder))
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S)
    at.query_params["model"] = f"local/{folder.name}"
    at.run()
    _no_errors(at)
    assert at.selectbox(key="model").value == f"local/{folder.name}"
    assert f"local/{folder.name}" in at.caption[0].value or _words(at)  # analysed with the local copy
    assert _words(at)[:2] == ["is", "there"]


def test_a_session_keeps_its_analyses_within_its_memory_budget(monkeypatch):
    from whisper_viz.ui import resources

    monkeypatch.setattr(resources, "SESSION_BUDGET_BYTES", 1)  # smaller than any analysis: keeps the newest
    at = AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run()
    at.selectbox(key="example").set_value("hello.flac").run()
    _no_errors(at)
    memory = at.session_state["_session_memory"]
    assert len(memory) == 1 and memory.total_bytes > memory.budget_bytes
    assert "hello.flac" in at.caption[0].value
