"""End to end against openai-whisper `transcribe(word_timestamps=True)` with the same converted weights.

Transcripts, word lists and word times must be identical: the capture keeps the start-sequence and
end-of-text rows that join Whisper's per-frame normalization, so float16 storage changes no boundary.
"""

import pytest
import whisper
from whisper.model import ModelDimensions, Whisper

import whisper_viz as wv


@pytest.fixture(scope="module")
def reference(tiny_model):
    model = Whisper(ModelDimensions(**tiny_model.dims.to_dict()))
    model.load_state_dict({k: v for k, v in tiny_model.model.state_dict().items() if k != "alignment_heads"})
    model.set_alignment_heads(wv.HeadSet(tiny_model.official_heads).to_dump())
    return model.eval()


@pytest.mark.parametrize("clip", ["hello.wav", "pause7.flac", "speech20.flac",
                                  pytest.param("long45.flac", marks=pytest.mark.slow)])
def test_words_equal_openai_whisper(tiny_model, reference, data_dir, clip):
    ours = wv.analyze(tiny_model, data_dir / clip)
    theirs = whisper.transcribe(reference, ours.audio, word_timestamps=True, temperature=0.0, fp16=False, verbose=None)
    their_words = [w for s in theirs["segments"] for w in s["words"]]
    assert theirs["text"].strip() == ours.text
    assert [w["word"] for w in their_words] == [w.word for w in ours.words]
    assert [(w["start"], w["end"]) for w in their_words] == pytest.approx([(w.start, w.end) for w in ours.words],
                                                                         abs=1e-6)
    assert [w["probability"] for w in their_words] == pytest.approx([w.probability for w in ours.words], abs=1e-3)


@pytest.mark.slow
def test_official_realignment_reproduces_analysis_words(tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "long45.flac")
    assert wv.align_words(result, heads="official") == result.words
    assert wv.align_words(result, preset="reference") == result.words
