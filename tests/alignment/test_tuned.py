"""The tuned preset: registration, the reference preset untouched, pauses, its DTW and the search."""

import numpy as np
import pytest

from whisper_viz.alignment.presets import PRESETS, align_words
from whisper_viz.alignment.tuned import TUNED_HEADS, align_tuned, tuned_heads_for, tuned_windows
from whisper_viz.experiments.silence import SilenceOptions, run_silence_experiment

PAUSE7_SECOND_SENTENCE = 8.85  # s: end of "here?" (trimmed espeak speech) + 7.0 s of digital silence


@pytest.fixture(scope="module")
def pause7(tiny_model, data_dir):
    from whisper_viz.engine.analysis import analyze

    return analyze(tiny_model, data_dir / "pause7.flac", text=(data_dir / "pause7.txt").read_text().strip())


def test_tuned_is_a_registered_preset_and_reference_stays_the_reference(pause7):
    assert {"reference", "tuned"} <= set(PRESETS)
    assert align_words(pause7, preset="reference") == pause7.words  # analyze's words are the reference ones
    tuned = align_words(pause7, preset="tuned")
    assert tuned == align_tuned(pause7)
    assert [w.word for w in tuned] == [w.word for w in pause7.words]
    assert all(a.end <= b.start for a, b in zip(tuned, tuned[1:]))
    assert all(w.end > w.start for w in tuned)


def test_tuned_words_do_not_swallow_or_start_inside_the_pause(pause7):
    words = align_tuned(pause7)
    here, im = words[5], words[6]
    assert here.word.strip() == "here?" and im.word.strip() == "I'm"
    assert here.end < 2.3  # the reference stretches "here?" over the pause (to 3.3 s)
    assert abs(im.start - PAUSE7_SECOND_SENTENCE) < 0.1
    assert pause7.words[5].end > 3.0  # (the reference does swallow it)


def test_model_is_found_by_name_or_by_its_official_heads(pause7):
    assert tuned_heads_for(pause7) is TUNED_HEADS["tiny.en"]
    from dataclasses import replace

    renamed = replace(pause7, model_name="/some/folder/tiny-en-ct2")
    assert tuned_heads_for(renamed) is TUNED_HEADS["tiny.en"]
    other = replace(pause7, model_name="x", alignment_heads=np.ones_like(pause7.alignment_heads))
    assert tuned_heads_for(other) is None
    assert align_tuned(other)  # unknown model: official heads, no lags, still aligned


def test_tuned_window_path_is_monotonic_and_skips_silence(pause7):
    window = tuned_windows(pause7)[0]
    assert np.all(np.diff(window.text_indices) >= 0) and np.all(np.diff(window.time_indices) >= 0)
    in_pause = (window.time_indices > 2.3 / 0.02) & (window.time_indices < 8.7 / 0.02)
    assert not in_pause.any()


def test_no_word_after_a_long_inserted_silence_is_far_off(tiny_model, data_dir):
    text = (data_dir / "pause7.txt").read_text().strip()
    options = SilenceOptions(durations=(13.0,), after_words=(6,), heads=("tuned",))
    experiment = run_silence_experiment(tiny_model, data_dir / "pause7.flac", options, text=text)
    tuned = [s for s in experiment.shifts if s.heads == "tuned"]
    assert max(s.error for s in tuned) < 0.5


def test_search_runs_on_train_clips_and_keeps_small_lags(tiny_model, bench_module, repo_dir):
    from whisper_viz.engine.analysis import analyze

    clips = bench_module("accuracy/dataset.py").load_split(repo_dir / "bench" / "accuracy" / "data" / "train")[:2]
    results = [analyze(tiny_model, c.path, text=c.text) for c in clips]
    found = bench_module("accuracy/tuning_search.py").search(results, clips, log=lambda _: None)
    assert found.heads and len(found.heads) == len(found.lags)
    assert all(abs(lag) <= 10 for lag in found.lags)
    assert found.official and tuned_heads_for(results[0]) is TUNED_HEADS["tiny.en"]
