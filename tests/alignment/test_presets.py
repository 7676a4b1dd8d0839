"""Presets (presets.py): align_words over windows, the preset registry and its errors."""

import pytest

from whisper_viz.alignment.presets import PRESETS, REFERENCE, TUNED, align_words, get_preset
from whisper_viz.errors import AlignmentError


def test_align_words_over_windows_with_offsets(alignment_kit):
    kit = alignment_kit
    first, _, _ = kit.make_capture(" The first window.", "en", seed=3)
    second, _, _ = kit.make_capture(" And the second.", "en", seed=4, offset=30.0, index=1)
    result = kit.make_result([first, second])
    words = align_words(result)
    assert [w.word for w in words] == [" The", " first", " window.", " And", " the", " second."]
    assert [w.window for w in words] == [0, 0, 0, 1, 1, 1]
    assert all(0 <= w.start <= w.end <= 8.0 for w in words[:3])
    assert all(30.0 <= w.start <= w.end <= 38.0 for w in words[3:])
    assert align_words(result, preset="reference") == align_words(result, heads="official")
    assert align_words(result, heads=result.alignment_heads) == words
    upper = align_words(result, heads="upper", normalization="l2", medfilt_width=3, postprocess=False)
    assert [w.word for w in upper] == [w.word for w in words]




def test_registry_holds_both_presets_behind_one_interface(alignment_kit):
    kit = alignment_kit
    assert PRESETS == {"reference": REFERENCE, "tuned": TUNED}
    first, _, _ = kit.make_capture(" The first window.", "en", seed=3)
    second, _, _ = kit.make_capture(" And the second.", "en", seed=4, offset=30.0, index=1)
    result = kit.make_result([first, second])
    for preset in PRESETS.values():
        windows = preset.align(result)
        assert [w.window for w in windows] == [0, 1]  # one WindowAlignment per window
        assert tuple(x for w in windows for x in w.words) == align_words(result, preset=preset.name)
        assert all(w.matrix.shape == c.attention.shape[2:] for w, c in zip(windows, result.windows))
    assert get_preset("tuned") is TUNED


def test_unknown_preset_is_a_clear_error(alignment_kit):
    capture, _, _ = alignment_kit.make_capture(" Errors are clear.", "en", seed=8, n_frames=50)
    with pytest.raises(AlignmentError, match="unknown alignment preset 'nope'; known: reference, tuned"):
        align_words(alignment_kit.make_result([capture]), preset="nope")
