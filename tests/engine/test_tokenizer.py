"""WhisperTokenizer against openai-whisper's tokenizer: special ids, text <-> ids, start sequences, bytes, errors."""

import json
import re

import pytest
from tokenizers import Tokenizer, models
from whisper.tokenizer import LANGUAGES, get_tokenizer

from whisper_viz.constants import (
    ENGLISH_VOCAB_SIZE,
    MULTILINGUAL_VOCAB_SIZE,
    TIME_PRECISION,
)
from whisper_viz.engine.tokenizer import WhisperTokenizer, restore_missing_merges
from whisper_viz.errors import DecodingError, WeightsError
from whisper_viz.weights.registry import resolve_source

SPECIALS = ("eot", "sot", "sot_prev", "sot_lm", "no_timestamps", "no_speech", "timestamp_begin")
TEXTS = [" Hello world. This is a test.", " the train to the town that they took", "naïve café—Mr. O'Neil's 3.5 \"quotes\"", " 你好，世界。", " I ❤️ NY 🗽!",
         " ¿Qué tal? «Bien»", ""]
BASE_LANGUAGES = 99  # base's vocabulary (51865 tokens) predates large-v3's Cantonese


@pytest.fixture(scope="module")
def english(tiny_model) -> WhisperTokenizer:
    return tiny_model.tokenizer


@pytest.fixture(scope="module")
def multilingual() -> WhisperTokenizer:
    return WhisperTokenizer.from_file(resolve_source("base").tokenizer, MULTILINGUAL_VOCAB_SIZE)


def test_english_only_special_ids_equal_openai_whisper(english):
    theirs = get_tokenizer(multilingual=False)
    assert not english.is_multilingual and english.n_vocab == ENGLISH_VOCAB_SIZE
    assert {name: getattr(english, name) for name in SPECIALS} == {name: getattr(theirs, name) for name in SPECIALS}
    assert english.task_ids == {"transcribe": theirs.transcribe, "translate": theirs.translate}
    assert english.language_ids == {}  # the vocabulary keeps language tokens, but the model never uses them


def test_multilingual_special_and_language_ids_equal_openai_whisper(multilingual):
    theirs = get_tokenizer(multilingual=True, num_languages=BASE_LANGUAGES)
    assert multilingual.is_multilingual
    assert {name: getattr(multilingual, name) for name in SPECIALS} == \
        {name: getattr(theirs, name) for name in SPECIALS}
    assert list(multilingual.language_ids) == list(LANGUAGES)[:BASE_LANGUAGES]  # Whisper's order: en, zh, de, ...
    assert multilingual.language_ids == {code: theirs.to_language_token(code) for code in multilingual.language_ids}


@pytest.mark.parametrize("text", TEXTS)
def test_encode_and_decode_equal_openai_whisper(english, multilingual, text):
    for ours, theirs in ((english, get_tokenizer(multilingual=False)),
                         (multilingual, get_tokenizer(multilingual=True, num_languages=BASE_LANGUAGES))):
        ids = ours.encode(text)
        assert ids == theirs.encode(text)
        assert ours.decode(ids) == theirs.decode(ids) == text


@pytest.mark.parametrize("dropped", [0, 1, 100, 30000, 49999])
def test_a_dropped_merge_is_restored_in_its_place(dropped):
    spec = json.loads(resolve_source("tiny.en").tokenizer.read_text())
    merges = spec["model"]["merges"]
    removed = merges.pop(dropped)
    assert restore_missing_merges(spec) == [removed.replace(" ", "")]
    assert merges[dropped] == removed and len(merges) == 50000
    assert restore_missing_merges(spec) == []


def test_decode_leaves_out_special_and_timestamp_tokens(english):
    ids = english.encode(" Hi there")
    wrapped = [english.sot, english.no_timestamps, english.timestamp_begin, *ids, english.timestamp_begin + 25,
               english.eot]
    assert english.decode(wrapped) == " Hi there"


def test_sot_sequences_equal_openai_whisper(english, multilingual):
    assert english.sot_sequence(None) == tuple(get_tokenizer(multilingual=False).sot_sequence) == (english.sot,)
    for language in ("en", "de", "ja", "haw"):
        for task in ("transcribe", "translate"):
            theirs = get_tokenizer(multilingual=True, num_languages=BASE_LANGUAGES, language=language, task=task)
            assert multilingual.sot_sequence(language, task) == tuple(theirs.sot_sequence), (language, task)


def test_token_bytes_of_a_character_split_across_tokens(english):
    theirs = get_tokenizer(multilingual=False)
    ids = english.encode(" 😀")  # four UTF-8 bytes that byte-level BPE cuts in two tokens
    assert len(ids) == 2
    pieces = [english.token_bytes(i) for i in ids]
    assert pieces == [theirs.encoding.decode_single_token_bytes(i) for i in ids]
    for piece in pieces:
        with pytest.raises(UnicodeDecodeError):
            piece.decode("utf-8")  # neither half is a character alone
    assert english.token_bytes_join(ids) == " 😀".encode()
    assert [english.token_text(i) for i in ids] == [" \ufffd", "\ufffd"]
    assert english.token_bytes(english.eot) == b"" and english.token_bytes(english.timestamp_begin) == b""


def test_token_text_names_special_and_timestamp_tokens(english):
    theirs = get_tokenizer(multilingual=False)
    for token in (english.eot, english.sot, english.no_timestamps, english.timestamp_begin,
                  english.timestamp_begin + 50, english.timestamp_begin + 1500):
        assert english.token_text(token) == theirs.decode_with_timestamps([token]), token
    assert english.token_text(english.timestamp_begin + 1500) == f"<|{1500 * TIME_PRECISION:.2f}|>" == "<|30.00|>"


def test_unknown_language_and_task_are_decoding_errors(english, multilingual):
    with pytest.raises(DecodingError, match="Unknown language 'xx'; use one of: en, zh, de"):
        multilingual.sot_sequence("xx")
    with pytest.raises(DecodingError, match="Unknown language"):
        multilingual.sot_sequence(None)  # a multilingual start sequence needs a language
    with pytest.raises(DecodingError, match="Unknown task 'summarize'"):
        multilingual.sot_sequence("en", "summarize")
    with pytest.raises(DecodingError, match="English-only: it can only transcribe, not translate"):
        english.sot_sequence(None, "translate")


def test_files_that_are_not_whisper_tokenizers_are_weights_errors(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{ not json")
    with pytest.raises(WeightsError, match="Cannot read the tokenizer"):
        WhisperTokenizer.from_file(garbage, ENGLISH_VOCAB_SIZE)
    other = tmp_path / "other.json"
    Tokenizer(models.BPE()).save(str(other))  # a valid tokenizer, without Whisper's special tokens
    with pytest.raises(WeightsError, match=re.escape("not a Whisper tokenizer: it has no <|endoftext|> token")):
        WhisperTokenizer.from_file(other, ENGLISH_VOCAB_SIZE)
