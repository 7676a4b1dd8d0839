"""Voicing from the audio's own energy (voicing.py)."""

import numpy as np

from whisper_viz.alignment.voicing import dilate, voiced_frames


def test_voiced_frames_follow_the_energy():
    rate = 16000
    t = np.arange(rate) / rate
    audio = np.concatenate([np.zeros(rate), 0.3 * np.sin(2 * np.pi * 220 * t), np.zeros(rate)]).astype(np.float32)
    audio += np.random.default_rng(0).standard_normal(len(audio)).astype(np.float32) * 1e-4  # a -80 dBFS floor
    voiced = voiced_frames(audio)  # 20 ms frames
    assert not voiced[:49].any() and voiced[51:99].all() and not voiced[101:149].any()


def test_voiced_frames_ignore_gain_and_noise_floor():
    rate = 16000
    t = np.arange(rate) / rate
    tone = np.concatenate([np.zeros(rate // 2), np.sin(2 * np.pi * 220 * t), np.zeros(rate // 2)])
    floor = np.random.default_rng(1).standard_normal(len(tone)) * 1e-3
    loud = voiced_frames((0.5 * tone + floor).astype(np.float32))
    quiet = voiced_frames((0.005 * tone + floor / 100).astype(np.float32))
    np.testing.assert_array_equal(loud, quiet)


def test_dilate_widens_each_run_by_the_given_frames():
    mask = np.zeros(10, bool)
    mask[4] = True
    assert np.flatnonzero(dilate(mask, 2)).tolist() == [2, 3, 4, 5, 6]
    assert dilate(mask, 0).tolist() == mask.tolist()
