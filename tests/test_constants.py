"""Whisper's fixed numbers: derived constants agree with each other and with openai-whisper's."""

import ast
from pathlib import Path

import pytest
import whisper.audio
import whisper.model

from whisper_viz import constants as c


def test_audio_constants_equal_openai_whispers():
    assert (c.SAMPLE_RATE, c.N_FFT, c.HOP_LENGTH, c.CHUNK_LENGTH) == \
        (whisper.audio.SAMPLE_RATE, whisper.audio.N_FFT, whisper.audio.HOP_LENGTH, whisper.audio.CHUNK_LENGTH)
    assert (c.N_SAMPLES, c.N_FRAMES, c.FRAMES_PER_SECOND) == \
        (whisper.audio.N_SAMPLES, whisper.audio.N_FRAMES, whisper.audio.FRAMES_PER_SECOND)
    assert c.ENCODER_FRAMES_PER_SECOND == whisper.audio.TOKENS_PER_SECOND
    assert c.SAMPLES_PER_ENCODER_FRAME == whisper.audio.N_SAMPLES_PER_TOKEN


def test_derived_constants_agree_with_each_other():
    assert c.N_SAMPLES == 480_000 and c.N_FRAMES == 3000  # one 30 s window: 3000 mel frames, 1500 encoder frames
    assert c.N_FRAMES == c.CHUNK_LENGTH * c.FRAMES_PER_SECOND
    assert c.N_FRAMES // 2 == c.CHUNK_LENGTH * c.ENCODER_FRAMES_PER_SECOND == 1500
    assert c.SAMPLES_PER_ENCODER_FRAME == 2 * c.HOP_LENGTH
    assert c.SECONDS_PER_ENCODER_FRAME == pytest.approx(c.SAMPLES_PER_ENCODER_FRAME / c.SAMPLE_RATE)
    # openai-whisper's transcribe: time_precision = input_stride * HOP_LENGTH / SAMPLE_RATE, stride 2
    assert c.TIME_PRECISION == pytest.approx(2 * c.HOP_LENGTH / c.SAMPLE_RATE) == c.SECONDS_PER_ENCODER_FRAME


def test_mel_bins_are_the_filterbanks_openai_whisper_ships():
    assert c.N_MELS in c.VALID_N_MELS
    for n_mels in c.VALID_N_MELS:
        assert whisper.audio.mel_filters("cpu", n_mels).shape == (n_mels, c.N_FFT // 2 + 1)
    with pytest.raises(AssertionError):
        whisper.audio.mel_filters("cpu", 64)  # not a released filterbank


def test_vocabulary_sizes_are_openai_whispers_multilingual_threshold():
    def reference(n_vocab: int):
        dims = whisper.model.ModelDimensions(n_mels=80, n_audio_ctx=4, n_audio_state=4, n_audio_head=1,
                                             n_audio_layer=1, n_vocab=n_vocab, n_text_ctx=4, n_text_state=4,
                                             n_text_head=1, n_text_layer=1)
        return whisper.model.Whisper(dims)

    assert not reference(c.ENGLISH_VOCAB_SIZE).is_multilingual
    assert reference(c.MULTILINGUAL_VOCAB_SIZE).is_multilingual
    assert reference(c.MULTILINGUAL_VOCAB_SIZE).num_languages == 99  # base, tiny, ...: 99 language tokens


def test_no_module_redefines_a_constant():
    """Modules import the numbers from whisper_viz.constants; none assigns its own SAMPLE_RATE or N_FRAMES."""
    names = {n for n in vars(c) if n.isupper()}
    package = Path(c.__file__).parent
    redefined = []
    for path in package.rglob("*.py"):
        if path != Path(c.__file__):
            for node in ast.parse(path.read_text()).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                redefined += [(path.name, t.id) for t in targets if isinstance(t, ast.Name) and t.id in names]
    assert not redefined


def test_no_module_divides_by_a_bare_audio_constant():
    """`frames / 100` hides which 100 it means (mel frames per second); the named constant says it."""
    values = {c.SAMPLE_RATE, c.HOP_LENGTH, c.N_FRAMES, c.N_SAMPLES, c.FRAMES_PER_SECOND, c.ENCODER_FRAMES_PER_SECOND,
              c.SAMPLES_PER_ENCODER_FRAME, c.TIME_PRECISION, c.N_FRAMES // 2}
    bare = []
    for path in Path(c.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)) \
                    and isinstance(node.right, ast.Constant) and node.right.value in values:
                bare.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert not bare
