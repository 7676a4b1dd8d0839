"""analyze(): transcripts against faster-whisper, windows, forced mode, silence and bad inputs."""

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz.engine.audio import SAMPLE_RATE

CLIPS = ["hello.wav", "pause7.flac", "speech20.flac", "silence3.wav"]


@pytest.fixture(scope="module")
def faster_whisper_tiny(tiny_model):
    from faster_whisper import WhisperModel

    return WhisperModel(str(tiny_model.source.weights[0].parent), device="cpu", compute_type="float32", cpu_threads=2)


@pytest.mark.parametrize("clip", CLIPS)
def test_transcript_equals_faster_whisper_greedy(tiny_model, faster_whisper_tiny, data_dir, clip):
    segments, _ = faster_whisper_tiny.transcribe(str(data_dir / clip), beam_size=1, temperature=0.0,
                                                 vad_filter=False, condition_on_previous_text=True)
    expected = "".join(s.text for s in segments).strip()
    assert wv.analyze(tiny_model, data_dir / clip).text == expected


def test_result_shapes_and_tokens(tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "hello.wav")
    layers, heads, tokens, frames = result.attention.shape
    assert (layers, heads) == (4, 6) == result.shape
    assert result.attention.dtype == np.float16
    assert tokens == len(result.tokens) + 1  # text tokens, then end-of-text
    assert frames == round(result.duration * 50)
    assert np.allclose(result.attention.astype(np.float32).sum(-1), 1.0, atol=2e-2)  # softmax over real frames
    assert all(0.0 < t.probability <= 1.0 for t in result.tokens)
    assert "".join(t.text for t in result.tokens).strip() == result.text
    assert result.words and result.words[0].start < result.words[-1].end <= result.duration + 0.02
    assert not result.no_speech and not result.forced


def test_silence_is_valid_and_flagged_no_speech(tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "silence3.wav")
    assert result.text == "" and result.no_speech and result.words == ()
    assert result.attention.shape[2] == 1  # only the end-of-text row


def test_inputs_path_bytes_and_array_agree(tiny_model, data_dir):
    path = data_dir / "hello.wav"
    by_path = wv.analyze(tiny_model, path)
    by_bytes = wv.analyze(tiny_model, path.read_bytes())
    by_array = wv.analyze(tiny_model, by_path.audio)
    assert by_path.text == by_bytes.text == by_array.text
    assert np.array_equal(by_path.attention, by_array.attention)


@pytest.mark.slow
def test_long_audio_gives_one_capture_per_window(tiny_model, data_dir):
    result = wv.analyze(tiny_model, data_dir / "long45.flac")
    assert len(result.windows) >= 2
    offsets = [w.offset for w in result.windows]
    assert offsets[0] == 0 and all(b > a for a, b in zip(offsets, offsets[1:]))
    assert all(w.offset + w.duration <= result.duration + 0.02 for w in result.windows)
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and result.words[-1].end > 35
    assert "station" in result.text.lower() or "train" in result.text.lower()


def test_forced_mode_teacher_forces_the_given_text(tiny_model, data_dir):
    text = (data_dir / "pause7.txt").read_text().strip()
    result = wv.analyze(tiny_model, data_dir / "pause7.flac", text=text)
    assert result.forced and result.text == text
    words = [w.word.strip() for w in result.words]
    assert words == text.split()
    second_sentence = next(w for w in result.words if w.word.strip() == "I'm")
    assert second_sentence.start > 2.0 + 7.0 - 0.5  # after the 7 s pause


@pytest.mark.slow
def test_forced_mode_over_several_windows(tiny_model, data_dir):
    text = (data_dir / "long45.txt").read_text()
    result = wv.analyze(tiny_model, data_dir / "long45.flac", text=text)
    assert len(result.windows) >= 2
    assert [w.word.strip() for w in result.words] == text.split()
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and result.words[-1].end > 35


def test_english_only_model_rejects_other_languages_and_translation(tiny_model, data_dir):
    with pytest.raises(wv.DecodingError, match="English-only"):
        wv.analyze(tiny_model, data_dir / "hello.wav", language="de")
    with pytest.raises(wv.DecodingError, match="translate"):
        wv.analyze(tiny_model, data_dir / "hello.wav", task="translate")


def test_empty_forced_text_is_a_clear_error(tiny_model, data_dir):
    with pytest.raises(wv.DecodingError, match="empty"):
        wv.analyze(tiny_model, data_dir / "hello.wav", text="   ")


@pytest.mark.parametrize("bad", [np.zeros(0, np.float32), np.full(16000, np.nan, np.float32), b"", b"RIFF1234WAVE"])
def test_bad_audio_is_an_audio_error(tiny_model, bad):
    with pytest.raises(wv.AudioError):
        wv.analyze(tiny_model, bad)


def test_too_long_audio_is_refused(tiny_model):
    with pytest.raises(wv.AudioError, match="above the limit"):
        wv.analyze(tiny_model, np.zeros(SAMPLE_RATE * 10, np.float32), max_seconds=5)


def test_base_detects_english(data_dir):
    model = wv.load_model("base", device="cpu")
    result = wv.analyze(model, data_dir / "hello.wav")
    assert result.language == "en" and result.attention.shape[:2] == (6, 8)
    assert "world" in result.text.lower()
    with pytest.raises(wv.DecodingError, match="Unknown language"):
        wv.analyze(model, data_dir / "hello.wav", language="xx")


@pytest.mark.parametrize("forced", [False, True])
def test_digital_silence_is_analysed_again_without_it(tiny_model, data_dir, forced):
    """A clip holding 7 s of digital zeros inside its speech gets a second analysis of the clip without them,
    in the same mode: exactly the analysis of the clip itself."""
    from whisper_viz.experiments.silence import insert_silence

    audio = wv.analyze(tiny_model, data_dir / "speech20.flac").audio
    text = (data_dir / "speech20.txt").read_text() if forced else None
    plain = wv.analyze(tiny_model, audio, text=text)
    assert plain.without_silence is None and plain.silence_cut is None  # speech20 holds no long digital silence
    silenced = wv.analyze(tiny_model, insert_silence(audio, 6.0, 7.0), text=text)
    skipped = wv.analyze(tiny_model, insert_silence(audio, 6.0, 7.0), text=text, without_silence=False)
    assert skipped.without_silence is None and skipped.text == silenced.text  # head scoring needs no second pass
    assert [(start / SAMPLE_RATE, length / SAMPLE_RATE) for start, length in silenced.silence_cut.runs] == \
        pytest.approx([(6.0, 7.0)], abs=0.002)
    shortened = silenced.without_silence
    assert shortened.forced == forced and shortened.without_silence is None
    assert shortened.text == plain.text and shortened.words == plain.words
    assert np.array_equal(shortened.attention, plain.attention)
    assert silenced.nbytes == sum(w.nbytes for w in silenced.windows) + silenced.audio.nbytes + shortened.nbytes


def test_a_forced_transcript_fills_a_multilingual_window_to_its_last_token(base_model, data_dir):
    """base's start sequence is 3 tokens (tiny.en's 1): a transcript longer than one window can take is cut
    to what fits beside it, never past the decoder's 448 positions; what cannot fit is a DecodingError."""
    text = " ".join([(data_dir / "long45.txt").read_text().strip()] * 5)  # ~650 tokens for 45 s of audio
    with pytest.raises(wv.DecodingError, match="transcript"):
        wv.analyze(base_model, data_dir / "long45.flac", language="en", text=text)
