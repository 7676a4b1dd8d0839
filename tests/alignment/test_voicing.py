"""Voicing from the clip's own energy (voicing.py): threshold, soft silence, robustness to inserted silence."""

import numpy as np

from whisper_viz.alignment.voicing import EDGE_HOP, loudness, speech_threshold, voiced_frames
from whisper_viz.constants import SAMPLE_RATE


def tone_between_silences(gain=0.3, floor=1e-4, seconds=1.0):
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    audio = np.concatenate([np.zeros(SAMPLE_RATE), gain * np.sin(2 * np.pi * 220 * t), np.zeros(SAMPLE_RATE)])
    return (audio + np.random.default_rng(0).standard_normal(len(audio)) * floor).astype(np.float32)


def test_voiced_frames_follow_the_energy():
    voiced = voiced_frames(tone_between_silences())  # 20 ms frames
    assert not voiced[:49].any() and voiced[51:99].all() and not voiced[101:149].any()


def test_voicing_ignores_gain_and_a_steady_noise_floor():
    loud, quiet = tone_between_silences(0.5, 1e-3), tone_between_silences(0.005, 1e-5)
    np.testing.assert_array_equal(voiced_frames(loud), voiced_frames(quiet))


def test_silence_is_soft_and_between_zero_and_one():
    level = loudness(tone_between_silences())
    silence = level.silence()
    assert silence.min() == 0.0 and silence.max() == 1.0
    assert (silence[level.voiced] == 0).all()


def test_inserted_digital_silence_does_not_move_the_threshold():
    """A recording with a noise floor keeps its threshold when seconds of exact zeros are inserted."""
    audio = tone_between_silences(0.3, 1e-2)  # -40 dB noise floor
    padded = np.concatenate([audio[:SAMPLE_RATE], np.zeros(13 * SAMPLE_RATE, np.float32), audio[SAMPLE_RATE:]])
    assert abs(loudness(audio).threshold[0] - loudness(padded).threshold[0]) < 1.0
    assert np.ptp(loudness(padded).threshold) == 0  # one threshold for a clip of up to 30 s
    assert not loudness(padded).voiced[:50].any()  # the recording's own noise stays unvoiced


def test_fine_frames_share_the_coarse_threshold():
    audio = tone_between_silences()
    coarse = loudness(audio)
    fine = loudness(audio, EDGE_HOP, threshold=coarse.threshold)
    np.testing.assert_array_equal(fine.threshold, np.repeat(coarse.threshold, 2)[: len(fine.db)])
    assert len(fine.db) == 2 * len(coarse.db) - 1


def test_a_long_recording_is_judged_part_by_part():
    """Two minutes of tone bursts, the first over a -80 dB floor, the second over a -45 dB floor (another room):
    the pauses of the noisy minute stay silent and the bursts of the quiet one voiced; one threshold for the
    whole recording ("global") cannot do both."""
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    burst = np.concatenate([0.3 * np.sin(2 * np.pi * 220 * t), np.zeros(SAMPLE_RATE)])  # 1 s tone, 1 s pause
    quiet = np.tile(burst * 0.03, 30) + rng.standard_normal(60 * SAMPLE_RATE) * 1e-4
    noisy = np.tile(burst, 30) + rng.standard_normal(60 * SAMPLE_RATE) * 5.6e-3
    audio = np.concatenate([quiet, noisy]).astype(np.float32)
    level = loudness(audio)
    seconds = np.arange(len(level.db)) / 50
    tones, pauses = (seconds % 2 > 0.1) & (seconds % 2 < 0.9), (seconds % 2 > 1.1) & (seconds % 2 < 1.9)
    quiet_part, noisy_part = seconds < 45, seconds >= 75  # away from where the two meet
    assert level.voiced[tones & quiet_part].all() and level.voiced[tones & noisy_part].all()
    assert not level.voiced[pauses & quiet_part].any() and not level.voiced[pauses & noisy_part].any()
    whole = np.full(len(level.db), speech_threshold(audio[: 30 * SAMPLE_RATE])[0])  # the quiet part's threshold
    assert loudness(audio, threshold=whole).voiced[pauses & noisy_part].all()  # would take the noise for speech
