"""Shared models and per-session analyses (ui/resources.py): what is cached, keyed on what, and for how long."""

import dataclasses

import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

from whisper_viz.ui import resources  # noqa: E402
from whisper_viz.ui.resources import AnalysisRequest  # noqa: E402

TIMEOUT_S = 180


def analyses_script(clips):
    import streamlit as st

    from whisper_viz.ui.resources import AnalysisRequest, cached_analysis, run_analysis

    requests = [AnalysisRequest(data, name, "tiny.en", "cpu", None, None) for name, data in clips]
    st.session_state["results"] = [run_analysis(request) for request in requests]
    st.session_state["kept"] = [cached_analysis(request) is not None for request in requests]


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


def test_sessions_share_analyses_of_the_same_bytes_and_each_keeps_its_own(data_dir, monkeypatch):
    """Two sessions analyse the same four files (one twice): the model runs once per distinct file, the second
    session gets the first one's read-only results, and each session keeps what it analysed."""
    from whisper_viz.engine import shared_analyses

    runs = []
    real_analyze = shared_analyses.analyze
    monkeypatch.setattr(shared_analyses, "analyze", lambda *a, **k: runs.append(1) or real_analyze(*a, **k))
    resources.shared_analyses.clear()  # a fresh server store: nothing from other tests
    clips = [(name, (data_dir / name).read_bytes())
             for name in ("hello.wav", "hello.flac", "hello.wav", "hello.ogg", "hello.mp3")]
    first = AppTest.from_function(analyses_script, kwargs={"clips": clips}, default_timeout=TIMEOUT_S).run()
    assert not first.exception, first.exception
    results = first.session_state["results"]
    assert all(r is not None and "world" in r.text.lower() for r in results), [e.value for e in first.error]
    assert results[2] is results[0] and len(runs) == 4  # hello.wav again: no model run
    assert all(first.session_state["kept"])
    second = AppTest.from_function(analyses_script, kwargs={"clips": clips}, default_timeout=TIMEOUT_S).run()
    assert not second.exception, second.exception
    assert len(runs) == 4  # the second session ran nothing
    assert all(a is b for a, b in zip(second.session_state["results"], results))
    assert all(second.session_state["kept"])
    with pytest.raises(ValueError):  # shared results are read-only: one session cannot change another's
        results[0].attention[0, 0, 0, 0] = 1.0


def test_every_session_shares_one_model():
    first = AppTest.from_function(model_script, default_timeout=TIMEOUT_S).run()
    second = AppTest.from_function(model_script, default_timeout=TIMEOUT_S).run()
    assert not first.exception and not second.exception
    one, again = first.session_state["models"]
    assert one is again is second.session_state["models"][0]
    assert one.name == "tiny.en" and one.device.type == "cpu"
