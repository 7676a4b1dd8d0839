"""Every analysis is bounded: absurd samples are refused, windows and wall time are capped, progress is
reported and raising from it cancels; the model runs under its lock from the first window to the last."""

import io
import time

import numpy as np
import pytest
import soundfile as sf

import whisper_viz as wv
from whisper_viz.engine import analysis
from whisper_viz.engine.audio import MAX_SAMPLE_MAGNITUDE, load_audio
from whisper_viz.engine.limits import AnalysisLimits

RATE = 16000


def _float_wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples.astype(np.float32), RATE, subtype="FLOAT", format="WAV")
    return buffer.getvalue()


def _tone(seconds: float, scale: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * scale).astype(np.float32)


def test_a_huge_float_tone_is_refused_instead_of_hanging(tiny_model):
    """The issue's input: a 3 s float WAV of a tone times 1e30 (its power spectrum overflowed to inf, the
    model saw NaN, and greedy decoding on NaN logits repeated a window of zero-length segments forever)."""
    with pytest.raises(wv.AudioError, match=r"as large as 1e\+30.*rescale it to \[-1, 1\]"):
        wv.analyze(tiny_model, _float_wav(_tone(3.0, 1e30)))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 2 * MAX_SAMPLE_MAGNITUDE])
def test_non_finite_and_absurd_samples_are_refused_from_files_and_arrays(value):
    samples = _tone(1.0, 0.5)
    samples[100] = value
    with pytest.raises(wv.AudioError):
        load_audio(_float_wav(samples))
    with pytest.raises(wv.AudioError):
        load_audio(samples)


def test_loud_but_plausible_float_audio_is_kept():
    assert np.abs(load_audio(_tone(1.0, 8.0))).max() == pytest.approx(8.0, rel=1e-3)  # clipped mixes happen


def test_wall_time_bound_stops_the_analysis_with_a_clear_error(tiny_model, data_dir):
    started = time.monotonic()
    with pytest.raises(wv.LimitExceeded, match="longer than its limit of 0.01 s"):
        wv.analyze(tiny_model, data_dir / "long45.flac", limits=AnalysisLimits(max_wall_seconds=0.01))
    assert time.monotonic() - started < 60  # stopped at the next decoding step, not after the whole clip


def test_window_bound_stops_the_seek(tiny_model, data_dir):
    with pytest.raises(wv.LimitExceeded, match="needed more than 1 window"):
        wv.analyze(tiny_model, data_dir / "long45.flac", limits=AnalysisLimits(max_windows=1))


def test_tokens_per_window_bound(tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "speech20.flac", limits=AnalysisLimits(max_tokens_per_window=8))
    assert 0 < len(result.windows[0].text_tokens) <= 8


def test_progress_is_reported_and_raising_from_it_cancels(tiny_model, data_dir):
    seen = []
    wv.analyze(tiny_model, data_dir / "hello.flac", progress=seen.append)
    assert seen and seen[0].seconds_done == 0 and not seen[0].waiting
    assert all(0 <= p.fraction <= 1 for p in seen)

    class Stop(Exception):
        pass

    def cancel(progress):
        raise Stop

    with pytest.raises(Stop):
        wv.analyze(tiny_model, data_dir / "hello.flac", progress=cancel)
    assert not tiny_model.lock.locked()  # a cancelled analysis gives the model back
    assert wv.analyze(tiny_model, data_dir / "hello.flac").text


def test_waiting_for_the_model_is_reported_and_can_be_given_up(tiny_model, data_dir):
    tiny_model.lock.acquire()  # another session's analysis holds the model
    seen = []

    def give_up(progress):
        seen.append(progress)
        raise TimeoutError

    try:
        with pytest.raises(TimeoutError):
            wv.analyze(tiny_model, data_dir / "hello.flac", progress=give_up)
    finally:
        tiny_model.lock.release()
    assert seen[0].waiting


def test_every_model_call_of_an_analysis_runs_under_the_model_lock(tiny_model, data_dir, monkeypatch):
    """Encoder, decoding and the capture pass (also for audio too short for any window) hold model.lock."""
    checks = []
    for module, name in [(analysis._Windows, "encode"), (analysis, "decode_window"), (analysis, "capture_window")]:
        original = getattr(module, name)

        def checked(*args, _original=original, _name=name, **kwargs):
            checks.append((_name, tiny_model.lock.locked()))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, checked)
    wv.analyze(tiny_model, data_dir / "hello.flac")
    checks.clear()
    wv.analyze(tiny_model, np.zeros(100, np.float32))  # under one mel frame: no window decodes, one empty capture
    assert [name for name, _ in checks] == ["encode", "capture_window"]
    wv.analyze(tiny_model, data_dir / "hello.flac")
    assert {name for name, _ in checks} == {"encode", "decode_window", "capture_window"}
    assert all(locked for _, locked in checks), checks
