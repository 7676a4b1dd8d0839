"""The search behind the tuned preset's heads and lags, on the accuracy benchmark's TRAIN split.

    python bench/accuracy/tuning_search.py --model tiny.en   # prints a TUNED_HEADS entry for alignment/tuned.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import BenchmarkClip, load_split  # noqa: E402

from whisper_viz.alignment.tuned import TunedHeads, align_tuned  # noqa: E402
from whisper_viz.constants import SECONDS_PER_ENCODER_FRAME  # noqa: E402
from whisper_viz.engine.analysis import analyze  # noqa: E402
from whisper_viz.engine.audio import load_audio  # noqa: E402
from whisper_viz.engine.loading import load_model  # noqa: E402
from whisper_viz.evaluation.metrics import boundary_errors, summarize  # noqa: E402
from whisper_viz.evaluation.references import ReferenceWord  # noqa: E402
from whisper_viz.experiments.silence import insert_silence  # noqa: E402
from whisper_viz.heads import HeadSet  # noqa: E402
from whisper_viz.results import AnalysisResult  # noqa: E402

MAX_LAG_FRAMES = 10  # heads whose own lag is larger (200 ms) fail when silence is inserted
SEARCH_PAUSES = (2.0, 7.0, 13.0)  # seconds of silence inserted into train clips for the search


def head_stats(results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip]) -> dict[tuple[int, int], tuple[int, float]]:
    """(layer, head) -> (lag in frames, spread in seconds) of aligning with that head alone (no lag,
    no edge trimming): the median signed boundary error, and the mean distance from that median."""
    n_layers, n_heads = results[0].shape
    stats = {}
    for pair in ((layer, head) for layer in range(n_layers) for head in range(n_heads)):
        errors = np.concatenate([boundary_errors(align_tuned(r, [pair], lags={}, trim_edges=False), c.words).errors
                                 for r, c in zip(results, clips)])
        median = float(np.median(errors))
        stats[pair] = (int(round(median / SECONDS_PER_ENCODER_FRAME)), float(np.abs(errors - median).mean()))
    return stats


def silence_variants(model, clips: Sequence[BenchmarkClip], pauses: Sequence[float] = SEARCH_PAUSES) -> list:
    """Train clips with silence inserted at a true word gap (after word 1 or 3, alternating), analysed
    in forced mode: [(result, shifted reference words, after-pause flags)]."""
    language = "en" if model.is_multilingual else None
    variants = []
    for i, clip in enumerate(c for c in clips if not c.pause and len(c.words) > 3):
        after = 1 if i % 2 == 0 else 3
        point = (clip.words[after - 1].end + clip.words[after].start) / 2
        audio = load_audio(clip.path)
        for pause in pauses:
            result = analyze(model, insert_silence(audio, point, pause), language=language, text=clip.text)
            moved = tuple(ReferenceWord(w.word, w.start + pause * (k >= after), w.end + pause * (k >= after))
                          for k, w in enumerate(clip.words))
            variants.append((result, moved, tuple(k >= after for k in range(len(moved)))))
    return variants


def search(results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip], variants: Sequence = (),
           log=print) -> TunedHeads:
    """Heads with |lag| <= MAX_LAG_FRAMES, lowest spread first; keep the k best by the pooled MAE over
    `clips` and the silence `variants` (train data only), averaged with its neighbours k - 1 and k + 1."""
    stats = head_stats(results, clips)
    pool = sorted((p for p, (lag, _) in stats.items() if abs(lag) <= MAX_LAG_FRAMES), key=lambda p: stats[p][1])
    lags = {p: lag for p, (lag, _) in stats.items()}
    data = [(r, c.words, c.after_pause) for r, c in zip(results, clips)] + list(variants)
    maes = []
    for k in range(1, len(pool) + 1):
        accuracy = summarize([boundary_errors(align_tuned(r, pool[:k], lags=lags), words, flags)
                              for r, words, flags in data])
        log(f"{k} heads: MAE {accuracy.mae * 1000:.1f} ms, worst after a pause {accuracy.pause_max_error:.2f} s")
        maes.append(accuracy.mae)
    # the k whose neighbours (k - 1, k + 1) also do well: a set one head away from failing is not kept
    smoothed = [np.mean(maes[max(0, i - 1): i + 2]) for i in range(len(maes))]
    best_k = int(np.argmin(smoothed)) + 1
    official = HeadSet(results[0].alignment_heads).to_dump().decode("ascii")
    return TunedHeads(official, tuple(pool[:best_k]), tuple(lags[p] for p in pool[:best_k]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Search the tuned heads of a model on the benchmark's TRAIN split.")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--split", type=Path, default=Path("bench/accuracy/data/train"))
    args = parser.parse_args(argv)
    model = load_model(args.model, device="cpu")
    clips = load_split(args.split)
    language = "en" if model.is_multilingual else None
    results = [analyze(model, c.path, language=language, text=c.text) for c in clips]
    found = search(results, clips, silence_variants(model, clips))
    print(f"    {args.model!r}: {found!r},")


if __name__ == "__main__":
    main()
