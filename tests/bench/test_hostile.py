"""The hostile corpus (bench/hostile/make_corpus.py), its quick part: each file gets a result or a
WhisperVizError with a message, through analyze with the app's limits. The whole corpus, with its
60 s bound per file, is bench/hostile/run_corpus.py."""

import pytest

import whisper_viz as wv

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_corpus(bench_module, tmp_path_factory):
    make_corpus = bench_module("hostile/make_corpus.py")
    return make_corpus.build_corpus(tmp_path_factory.mktemp("hostile"), quick=True)


def test_the_corpus_is_large_and_covers_every_kind(bench_module, tmp_path):
    files = bench_module("hostile/make_corpus.py").build_corpus(tmp_path)
    names = {f.name for f in files}
    assert len(files) >= 300
    for part in ("valid_", "float_nan", "float_tone_x1e+30", "header_rate_0", "valid_6ch", "truncated_",
                 "flipped_flac", "flipped_ogg", "flipped_mp3", "flipped_wav", "random_", "noise_10min"):
        assert any(name.startswith(part) for name in names), part


def test_every_quick_file_gets_a_result_or_a_clear_error(quick_corpus, tiny_model):
    from whisper_viz.ui.resources import APP_LIMITS

    assert len(quick_corpus) >= 20
    outcomes = {}
    for path in quick_corpus:
        try:
            result = wv.analyze(tiny_model, path.read_bytes(), limits=APP_LIMITS)
            outcomes[path.name] = f"result: {result.text[:40]!r}"
        except wv.WhisperVizError as error:
            assert str(error).strip(), path.name
            outcomes[path.name] = f"{type(error).__name__}: {error}"
    assert outcomes["float_tone_x1e+30.wav"].startswith("AudioError")
    assert outcomes["float_nan_one.wav"].startswith("AudioError")
    assert outcomes["header_rate_0.wav"].startswith("AudioError")
    assert outcomes["valid_6ch.wav"].startswith("result")
