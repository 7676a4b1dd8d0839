"""Shared models and per-session analyses (ui/resources.py): what is cached, keyed on what, and for how long."""

import dataclasses

import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

from whisper_viz.ui import resources  # noqa: E402
from whisper_viz.ui.resources import KEPT_ANALYSES, AnalysisRequest  # noqa: E402

TIMEOUT_S = 180


def analyses_script(clips):
    import streamlit as st

    from whisper_viz.ui.resources import AnalysisRequest, run_analysis

    results = [run_analysis(AnalysisRequest(data, name, "tiny.en", "cpu", None, None)) for name, data in clips]
    st.session_state["results"] = results
    names = {AnalysisRequest(data, name, "tiny.en", "cpu", None, None).key: name for name, data in clips}
    st.session_state["kept"] = [names[key] for key in st.session_state["_analyses"]]  # oldest first


def model_script():
    import streamlit as st

    from whisper_viz.ui.resources import shared_model

    st.session_state["models"] = [shared_model("tiny.en", "cpu"), shared_model("tiny.en", "cpu")]


def test_request_key_is_the_audio_content_and_the_options():
    request = AnalysisRequest(b"RIFF audio", "a.wav", "tiny.en", "auto", None, None)
    same_audio = AnalysisRequest(bytes(b"RIFF audio"), "renamed.wav", "tiny.en", "auto", None, None)
    assert request.key == same_audio.key  # the file name is only shown, the bytes are what is analysed
    others = [dataclasses.replace(request, audio=b"RIFF other"), dataclasses.replace(request, model="base"),
              dataclasses.replace(request, device="cpu"), dataclasses.replace(request, language="en"),
              dataclasses.replace(request, text="hello")]
    assert len({request.key, *(o.key for o in others)}) == 1 + len(others)
    assert "RIFF audio" not in repr(request)  # audio bytes stay out of logs and reprs
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.model = "base"


def test_a_session_reuses_its_last_analyses_and_forgets_the_oldest(data_dir, monkeypatch):
    runs = []
    real_analyze = resources.analyze
    monkeypatch.setattr(resources, "analyze", lambda *a, **k: runs.append(1) or real_analyze(*a, **k))
    clips = [(name, (data_dir / name).read_bytes())
             for name in ("hello.wav", "hello.flac", "hello.wav", "hello.ogg", "hello.mp3", "hello.flac")]
    at = AppTest.from_function(analyses_script, kwargs={"clips": clips}, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    results = at.session_state["results"]
    assert all(r is not None and "world" in r.text.lower() for r in results)
    assert results[2] is results[0]  # the same clip again: the kept result, no model run
    assert results[5] is not results[1]  # hello.flac was the least recently used and was forgotten
    assert len(runs) == 5
    assert len(at.session_state["_analyses"]) == KEPT_ANALYSES
    assert at.session_state["kept"] == ["hello.ogg", "hello.mp3", "hello.flac"]  # hello.wav went with the 6th


def test_every_session_shares_one_model():
    first = AppTest.from_function(model_script, default_timeout=TIMEOUT_S).run()
    second = AppTest.from_function(model_script, default_timeout=TIMEOUT_S).run()
    assert not first.exception and not second.exception
    one, again = first.session_state["models"]
    assert one is again is second.session_state["models"][0]
    assert one.name == "tiny.en" and one.device.type == "cpu"
