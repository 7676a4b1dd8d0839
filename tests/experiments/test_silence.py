"""Silence insertion: sample-exact arithmetic, seeded noise, and word shifts on real tiny.en runs."""

import json

import numpy as np
import pytest

from whisper_viz.engine.audio import SAMPLE_RATE
from whisper_viz.errors import AudioError
from whisper_viz.experiments.silence import (
    SilenceOptions,
    filler,
    insert_silence,
    insertion_points,
    run_silence_experiment,
    seconds_to_samples,
)
from whisper_viz.results import WordTiming


def ramp(n: int) -> np.ndarray:
    """Distinct, nonzero float32 samples so any misplaced sample shows."""
    return (np.arange(1, n + 1, dtype=np.float32) / n).astype(np.float32)


@pytest.mark.parametrize("at, duration", [(0.0, 1.0), (0.5, 0.25), (1.0, 2.0), (0.123456, 0.0000625), (0.7, 0.0)])
def test_insertion_is_sample_exact(at, duration):
    audio = ramp(SAMPLE_RATE)  # 1 s
    out = insert_silence(audio, at, duration)
    k, n = round(at * SAMPLE_RATE), round(duration * SAMPLE_RATE)
    assert out.dtype == np.float32 and len(out) == len(audio) + n
    assert np.array_equal(out[:k], audio[:k])  # everything before the point, bit for bit
    assert not out[k: k + n].any()  # exactly n zeros
    assert np.array_equal(out[k + n:], audio[k:])  # everything after, bit for bit


def test_several_points_each_get_the_full_duration():
    audio = ramp(32000)  # 2 s
    out = insert_silence(audio, (1.5, 0.5), 0.1)
    n = 1600
    assert len(out) == len(audio) + 2 * n
    assert np.array_equal(out[:8000], audio[:8000])
    assert not out[8000: 8000 + n].any()
    assert np.array_equal(out[8000 + n: 24000 + n], audio[8000:24000])
    assert not out[24000 + n: 24000 + 2 * n].any()
    assert np.array_equal(out[24000 + 2 * n:], audio[24000:])


def test_points_round_to_the_nearest_sample():
    assert seconds_to_samples(1 / SAMPLE_RATE * 2.4) == 2
    assert seconds_to_samples(1 / SAMPLE_RATE * 2.6) == 3
    assert seconds_to_samples(13.0) == 208000


def test_noise_is_seeded_and_at_the_requested_level():
    a = filler(SAMPLE_RATE * 4, noise_db=-60.0, seed=3)
    b = filler(SAMPLE_RATE * 4, noise_db=-60.0, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, filler(SAMPLE_RATE * 4, noise_db=-60.0, seed=4))
    rms_db = 20 * np.log10(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
    assert abs(rms_db + 60.0) < 0.1
    out = insert_silence(ramp(100), 0.0, 0.01, noise_db=-40.0, seed=1)
    assert np.array_equal(out[:160], filler(160, -40.0, seed=1)) and np.array_equal(out[160:], ramp(100))


@pytest.mark.parametrize("kwargs", [dict(at=-0.1, duration=1.0), dict(at=2.0, duration=1.0),
                                    dict(at=0.5, duration=-1.0), dict(at=0.5, duration=float("nan")),
                                    dict(at=0.5, duration=1.0, noise_db=3.0)])
def test_bad_insertions_are_audio_errors(kwargs):
    with pytest.raises(AudioError):
        insert_silence(ramp(SAMPLE_RATE), **kwargs)


def test_insertion_points_from_word_numbers():
    words = tuple(WordTiming(f" w{i}", i * 1.0, i * 1.0 + 0.5, 1.0) for i in range(4))
    assert insertion_points(words, after_words=(2,)) == (1.5,)  # word 2 is words[1]
    assert insertion_points(words, at=(3.2,), after_words=(4, 1)) == (0.5, 3.2, 3.5)
    with pytest.raises(AudioError, match="numbered from 1"):
        insertion_points(words, after_words=(0,))
    with pytest.raises(AudioError):
        insertion_points(words)


@pytest.fixture(scope="module")
def pause7_experiment(tiny_model, data_dir):
    text = (data_dir / "pause7.txt").read_text().strip()
    options = SilenceOptions(durations=(0.0, 2.0), after_words=(6,), heads=("official", "all", "tuned"))
    return run_silence_experiment(tiny_model, data_dir / "pause7.flac", options, text=text)


def test_two_seconds_after_word_six_shift_later_words_by_two_seconds(pause7_experiment):
    exp = pause7_experiment
    assert exp.points == (exp.original.words["official"][5].end,)  # "here?", the end of the first sentence
    official = [s for s in exp.shifts if s.heads == "official" and s.duration == 2.0]
    assert [s.number for s in official] == list(range(1, 10))
    for s in official:
        assert s.expected == (2.0 if s.number > 6 else 0.0)
    later = [s for s in official if s.number > 6]
    assert [s.word.strip() for s in later] == ["I'm", "here", "often."]
    for s in later:
        assert abs(s.start_shift - 2.0) < 0.15 and abs(s.end_shift - 2.0) < 0.15
    for s in official[:5]:
        assert abs(s.start_shift) < 0.1 and abs(s.end_shift) < 0.1


def test_zero_duration_variant_is_the_original(pause7_experiment):
    exp = pause7_experiment
    zero = exp.variants[0]
    assert zero.duration == 0.0 and np.array_equal(zero.audio, exp.original.audio)
    assert all(s.start_shift == 0 and s.end_shift == 0 for s in exp.shifts if s.duration == 0.0)


def test_sweep_and_json_record(pause7_experiment):
    exp = pause7_experiment
    sweep = exp.sweep()
    assert [(p.heads, p.duration) for p in sweep] == [(h, d) for h in ("official", "all", "tuned") for d in (0.0, 2.0)]
    assert sweep[0].mean_abs_error == 0.0 and sweep[1].words == 9 and sweep[1].windows == 1
    assert abs(sweep[1].seconds - (exp.original.audio.size / 16000 + 2.0)) < 1e-9
    record = json.loads(json.dumps(exp.to_dict()))  # plain Python numbers only (numpy ints are not JSON)
    assert record["durations"] == [0.0, 2.0] and len(record["shifts"]) == 3 * 2 * 9
    assert {"number", "word", "expected", "start_shift", "end_shift", "start_error", "end_error"} <= set(record["shifts"][0])
