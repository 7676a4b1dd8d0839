"""A small discovery corpus: clips of the synthetic accuracy set (bench/discovery/synthetic.jsonl) by id."""

import json
from pathlib import Path

import pytest

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
