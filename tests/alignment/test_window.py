"""One window aligned with the reference steps (window.py) equals openai-whisper's find_alignment."""

import numpy as np
import pytest
import whisper
import whisper.timing
from whisper.tokenizer import get_tokenizer

from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.presets import align_words
from whisper_viz.alignment.window import align_window
from whisper_viz.errors import AlignmentError, HeadSetError
from whisper_viz.heads import HeadSet
from whisper_viz.results import WindowCapture


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("seed", [0, 1])
def test_raw_alignment_equals_openai_functions(case, seed, alignment_kit):
    kit = alignment_kit
    language, text = kit.TEXTS[case]
    capture, tokenizer, ids = kit.make_capture(text, language, seed=seed, offset=12.34)
    mask = HeadSet.official("tiny.en").mask
    expected, matrix = kit.reference_alignment(capture, mask, tokenizer, ids)
    whisper.timing.merge_punctuations(expected, kit.PREPEND, kit.APPEND)
    expected = [w for w in expected if w.word]
    aligned = align_window(capture, mask, AlignmentOptions(postprocess=False))
    np.testing.assert_allclose(aligned.matrix, matrix, rtol=0, atol=1e-6)
    assert [w.word for w in aligned.words] == [w.word for w in expected]
    assert [w.start for w in aligned.words] == [round(12.34 + w.start, 2) for w in expected]
    assert [w.end for w in aligned.words] == [round(12.34 + w.end, 2) for w in expected]
    np.testing.assert_allclose([w.probability for w in aligned.words], [w.probability for w in expected])
    assert [[capture.tokens[r].id for r in w.token_indices] for w in aligned.words] == [w.tokens for w in expected]
    assert all(w.window == 0 for w in aligned.words)


def test_empty_window_gives_no_words(alignment_kit):
    kit = alignment_kit
    tokenizer = get_tokenizer(multilingual=False)
    capture = WindowCapture(0, 0.0, 50, np.full((4, 6, 1, 50), 0.02, np.float16),
                            kit.make_tokens(tokenizer, [], np.random.default_rng(0)), (), "", "en", 0.9)
    assert align_window(capture, "all").words == ()


def test_alignment_errors(alignment_kit):
    kit = alignment_kit
    capture, _, _ = kit.make_capture(" Errors are clear.", "en", seed=8, n_frames=50)
    with pytest.raises(AlignmentError, match="empty"):
        align_window(capture, "none")
    with pytest.raises(AlignmentError, match="shape"):
        align_window(capture, HeadSet.all((6, 8)))
    with pytest.raises(HeadSetError, match="official"):
        align_window(capture, "official")
    short, _, _ = kit.make_capture(" " + " ".join(["word"] * 30), "en", seed=9, n_frames=20)
    with pytest.raises(AlignmentError, match="frames"):
        align_window(short, "all")
    bad = WindowCapture(0, 0.0, 50, capture.attention[0], capture.tokens, (), "", "en", 0.0)
    with pytest.raises(AlignmentError, match="4-D"):
        align_window(bad, "all")
    with pytest.raises(AlignmentError, match="odd"):
        AlignmentOptions(medfilt_width=4)
    with pytest.raises(AlignmentError, match="normalization"):
        AlignmentOptions(normalization="softmax")


# --- real model (tiny.en) ---------------------------------------------------------------------


def openai_reference(model):
    """openai-whisper's model with our converted tiny.en weights and its official heads."""
    from whisper.model import ModelDimensions, Whisper

    reference = Whisper(ModelDimensions(**model.dims.to_dict()))
    reference.load_state_dict({k: v for k, v in model.model.state_dict().items() if k != "alignment_heads"})
    reference.set_alignment_heads(whisper._ALIGNMENT_HEADS["tiny.en"])
    return reference.eval()


@pytest.mark.parametrize("clip", ["hello.wav", "pause7.flac"])
def test_real_words_match_openai_find_alignment(tiny_model, data_dir, clip, alignment_kit):
    kit = alignment_kit
    import whisper_viz as wv
    from whisper_viz.engine.audio import log_mel_spectrogram, pad_or_trim

    result = wv.analyze(tiny_model, data_dir / clip)
    assert align_words(result) == result.words  # analyze aligns with the same function
    window = result.windows[0]
    tokenizer = get_tokenizer(multilingual=False)
    mel = pad_or_trim(log_mel_spectrogram(result.audio), 3000)
    expected = whisper.timing.find_alignment(openai_reference(tiny_model), tokenizer,
                                             [t.id for t in window.text_tokens], mel, window.num_frames * 2)
    whisper.timing.merge_punctuations(expected, kit.PREPEND, kit.APPEND)
    expected = [(w.word, round(float(w.start), 2), round(float(w.end), 2)) for w in expected if w.word]
    ours = [(w.word, w.start, w.end) for w in align_window(window, result.alignment_heads,
                                                           AlignmentOptions(postprocess=False)).words]
    assert [w for w, _, _ in ours] == [w for w, _, _ in expected]
    assert window.context_attention is not None  # capture keeps the rows find_alignment's z-score uses
    assert ours == expected
