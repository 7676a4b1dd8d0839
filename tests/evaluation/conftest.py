"""Evaluation test material: synthetic heads of known quality, tiny.en forced on clips of the accuracy set, and a small
discovery corpus (clips of bench/discovery/synthetic.jsonl by id)."""

import json
from pathlib import Path

import numpy as np
import pytest

import whisper_viz as wv
from whisper_viz.evaluation.references import ReferenceWord
from whisper_viz.heads import HeadSet
from whisper_viz.results import AnalysisResult, Token, WindowCapture

ACCURACY_DIR = Path(__file__).resolve().parents[2] / "bench" / "accuracy" / "data" / "train"


class Synthetic:
    """Results whose heads have known quality, on a (2, 3) grid of 300 frames.

    GOOD: exact boxes over each word; SHIFTED: the boxes 10 frames late; SINK: all on frame 0;
    REVERSED: time runs backwards; NOISE: random; GOOD_TOO: the boxes plus a little noise.
    The model's "official" heads are GOOD and GOOD_TOO.
    """

    SHAPE = (2, 3)
    GOOD, SHIFTED, SINK, REVERSED, NOISE, GOOD_TOO = (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)
    N_FRAMES = 300

    @classmethod
    def result(cls, seed: int = 0, n_words: int = 12) -> tuple[AnalysisResult, tuple[ReferenceWord, ...]]:
        """(result, reference word timings) of `n_words` words with random known spans."""
        n_frames = cls.N_FRAMES
        rng = np.random.default_rng(seed)
        bounds = np.sort(rng.choice(np.arange(10, n_frames - 10), n_words, replace=False))
        bounds[0] = 0  # DTW paths start at frame 0, so the first word does too
        bounds = np.concatenate([bounds, [n_frames - 5]])  # the last bound starts end-of-text
        n_rows = n_words + 1
        box = np.full((n_rows, n_frames), 1e-4)
        for i in range(n_rows):
            box[i, bounds[i]: bounds[i + 1] if i < n_words else n_frames] = 1.0
        heads = {
            cls.GOOD: box,
            cls.SHIFTED: np.roll(box, 10, axis=1),
            cls.SINK: np.tile(np.eye(1, n_frames, 0) + 1e-4, (n_rows, 1)),
            cls.REVERSED: box[:, ::-1],
            cls.NOISE: rng.random((n_rows, n_frames)) ** 8,
            cls.GOOD_TOO: box + rng.random(box.shape) * 0.05,
        }
        attention = np.empty((*cls.SHAPE, n_rows, n_frames), np.float16)  # (layers, heads, tokens, frames)
        for (layer, head), weights in heads.items():
            attention[layer, head] = weights / weights.sum(-1, keepdims=True)
        tokens = tuple(Token(100 + i, f" w{i}", f" w{i}".encode(), 0.9) for i in range(n_words))
        tokens += (Token(50256, "<|endoftext|>", b"", 0.9, special=True),)
        text = "".join(t.text for t in tokens[:-1])
        capture = WindowCapture(0, 0.0, n_frames, attention, tokens, (50257,), text, "en", 0.0)
        official = HeadSet.from_pairs([cls.GOOD, cls.GOOD_TOO], cls.SHAPE).mask
        result = AnalysisResult("synthetic", "en", "transcribe", text, n_frames * 0.02, (capture,), (), (), official,
                                False, False)
        reference = tuple(ReferenceWord(f"w{i}", bounds[i] * 0.02, bounds[i + 1] * 0.02) for i in range(n_words))
        return result, reference


@pytest.fixture(scope="session")
def synthetic() -> type[Synthetic]:
    return Synthetic


@pytest.fixture(scope="session")
def real_clips(tiny_model):
    """tiny.en forced on two clips of the accuracy set, with their exact word timings."""
    manifest_path = ACCURACY_DIR / "manifest.json"
    if not manifest_path.exists():
        pytest.skip("bench/accuracy/data/train is not there")
    clips = [c for c in json.loads(manifest_path.read_text())["clips"] if c["pause_seconds"] is None][:2]
    results = [wv.analyze(tiny_model, ACCURACY_DIR / c["file"], text=c["text"]) for c in clips]
    references = [tuple(ReferenceWord(w["word"], w["start"], w["end"]) for w in c["words"]) for c in clips]
    return results, references

MANIFEST = Path(__file__).resolve().parents[2] / "bench" / "discovery" / "synthetic.jsonl"
# short clips (4 s): four choose the heads, two measure them
SMALL_CORPUS = ("train_words_02", "train_words_03", "train_words_06", "train_words_08",
                "test_words_03", "test_words_06")


def corpus_lines(ids=None) -> list[dict]:
    """Manifest lines of the synthetic corpus (all, or those with these ids in this order), absolute paths."""
    if not MANIFEST.exists():
        pytest.skip("bench/discovery/synthetic.jsonl is not there")
    lines = {}
    for text in MANIFEST.read_text().splitlines():
        line = json.loads(text)
        line["audio"] = str((MANIFEST.parent / line["audio"]).resolve())
        lines[line["id"]] = line
    return [lines[i] for i in ids] if ids else list(lines.values())


def write_corpus(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture()
def small_corpus(tmp_path) -> Path:
    """A manifest of SMALL_CORPUS in tmp_path."""
    return write_corpus(tmp_path / "corpus.jsonl", corpus_lines(SMALL_CORPUS))
