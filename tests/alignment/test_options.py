"""AlignmentOptions: openai-whisper's defaults, and every invalid option an AlignmentError."""

import inspect

import numpy as np
import pytest
import whisper
import whisper.timing

from whisper_viz.alignment.options import NORMALIZATIONS, AlignmentOptions
from whisper_viz.errors import AlignmentError


def test_defaults_are_openai_whispers():
    options = AlignmentOptions()
    transcribe = inspect.signature(whisper.transcribe).parameters
    assert options.prepend_punctuations == transcribe["prepend_punctuations"].default
    assert options.append_punctuations == transcribe["append_punctuations"].default
    assert options.medfilt_width == inspect.signature(whisper.timing.find_alignment).parameters["medfilt_width"].default
    assert options.normalization == "reference" and options.postprocess


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("width", [1, 3, 7, np.int64(9)])
def test_valid_options(normalization, width):
    assert AlignmentOptions(normalization, width).medfilt_width == width


@pytest.mark.parametrize("width", [4, 0, -3, 2.0, 7.0, True, "7", None])
def test_medfilt_width_must_be_a_positive_odd_whole_number(width):
    with pytest.raises(AlignmentError, match="positive odd"):
        AlignmentOptions(medfilt_width=width)


def test_unknown_normalization():
    with pytest.raises(AlignmentError, match="unknown normalization 'softmax'; use one of reference, ct2, l2, none"):
        AlignmentOptions(normalization="softmax")
