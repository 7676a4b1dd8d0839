"""The search behind the tuned aligner: heads, lags, pause settings and the confidence curve, on REAL DEV speech.

    python bench/accuracy/tuning_search.py --model tiny.en     # prints the TUNED_HEADS entry and settings

Only the dev split of bench/accuracy/real is read (recognition and forced analyses); the test split is never
seen. Steps: (1) each head alone, reference DTW: its lag = the median signed start error, its spread = the
mean distance from that median; (2) heads with |lag| <= MAX_LAG_FRAMES, lowest spread first, keep the k best
by the dev MAE of the tuned aligner (smoothed over k - 1, k, k + 1); (3) a small grid of pause settings,
then of the longest a word may be (`--word-limit-only` runs this step alone on the shipped entry);
(4) a logistic fit of "both edges within 100 ms" on the word's mean path score (the confidence curve).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from analyses import MODES, clip_analysis  # noqa: E402
from dataset import BenchmarkClip, load_real  # noqa: E402

from whisper_viz.alignment.confidence import CONFIDENT_WITHIN_SECONDS  # noqa: E402
from whisper_viz.alignment.options import AlignmentOptions  # noqa: E402
from whisper_viz.alignment.presets import align_words  # noqa: E402
from whisper_viz.alignment.tuned import (  # noqa: E402
    TUNED_HEADS,
    TUNED_SETTINGS,
    TunedHeads,
    TunedSettings,
    align_tuned,
)
from whisper_viz.constants import SECONDS_PER_ENCODER_FRAME  # noqa: E402
from whisper_viz.engine.loading import load_model  # noqa: E402
from whisper_viz.evaluation.metrics import boundary_errors, summarize  # noqa: E402
from whisper_viz.evaluation.references import match_words  # noqa: E402
from whisper_viz.heads import HeadSet  # noqa: E402
from whisper_viz.results import AnalysisResult  # noqa: E402

MAX_LAG_FRAMES = 15  # heads that run further off (300 ms) follow something other than the word being said
MAX_HEADS = 16
LAG_OFFSETS = (0, 1, 2, 3, 4)  # frames added to every median lag: step 3's first choice
SETTINGS_GRID = dict(pause_score=(0.25, 0.5, 1.0), silence_gain=(8.0, 12.0, 16.0),
                     min_seconds_per_letter=(0.025, 0.035, 0.045))
WORD_LIMIT_GRID = ((0.0, 0.0), (0.5, 0.08), (0.6, 0.12), (0.8, 0.1), (1.0, 0.15))  # (seconds, per letter)
WORD_LIMIT_TIE = 0.0001  # s of dev MAE within which word limits tie
RAW = AlignmentOptions(postprocess=False)

Pairs = Sequence[tuple[BenchmarkClip, AnalysisResult]]


def head_stats(pairs: Pairs) -> dict[tuple[int, int], tuple[int, float]]:
    """(layer, head) -> (lag in frames, spread in seconds) of aligning with that head alone (reference DTW)."""
    n_layers, n_heads = pairs[0][1].shape
    stats = {}
    for pair in itertools.product(range(n_layers), range(n_heads)):
        errors = np.concatenate([boundary_errors(align_words(r, heads=[pair], options=RAW), c.words).errors[:, 0]
                                 for c, r in pairs])
        errors = errors[np.isfinite(errors)]
        median = float(np.median(errors))
        stats[pair] = (int(round(median / SECONDS_PER_ENCODER_FRAME)), float(np.abs(errors - median).mean()))
    return stats


def dev_mae(pairs: Pairs, heads, lags: dict, settings: TunedSettings = TUNED_SETTINGS) -> float:
    """Pooled word-boundary MAE (seconds) of the tuned aligner over `pairs`."""
    return summarize([boundary_errors(align_tuned(r, heads, lags=lags, settings=settings), c.words)
                      for c, r in pairs]).mae


def choose_heads(pairs: Pairs, stats: dict, log=print) -> tuple[tuple[int, int], ...]:
    """The k lowest-spread heads whose smoothed dev MAE is lowest."""
    pool = sorted((p for p, (lag, _) in stats.items() if abs(lag) <= MAX_LAG_FRAMES), key=lambda p: stats[p][1])
    lags = {p: lag for p, (lag, _) in stats.items()}
    maes = []
    for k in range(1, min(len(pool), MAX_HEADS) + 1):
        maes.append(dev_mae(pairs, pool[:k], lags))
        log(f"{k} heads: dev MAE {maes[-1] * 1000:.1f} ms")
    smoothed = [np.mean(maes[max(0, i - 1): i + 2]) for i in range(len(maes))]  # one head from failing is no choice
    return tuple(pool[: int(np.argmin(smoothed)) + 1])


def choose_settings(pairs: Pairs, heads, lags: dict, log=print) -> TunedSettings:
    """The lag offset with the lowest dev MAE (boundaries inside continuous speech are set by the path, whose
    lags the per-head medians over every kind of boundary do not quite centre), then the SETTINGS_GRID point."""
    maes = {offset: dev_mae(pairs, heads, lags, replace(TUNED_SETTINGS, lag_offset=offset)) for offset in LAG_OFFSETS}
    log("lag offsets: " + ", ".join(f"{o}: {m * 1000:.1f} ms" for o, m in maes.items()))
    offset = min(maes, key=maes.get)
    best = None
    for values in itertools.product(*SETTINGS_GRID.values()):
        settings = TunedSettings(**dict(zip(SETTINGS_GRID, values)), lag_offset=offset)
        mae = dev_mae(pairs, heads, lags, settings)
        log(f"{dict(zip(SETTINGS_GRID, values))}: dev MAE {mae * 1000:.1f} ms")
        if best is None or mae < best[0]:
            best = (mae, settings)
    return choose_word_limit(pairs, heads, lags, best[1], log)


def choose_word_limit(pairs: Pairs, heads, lags: dict, settings: TunedSettings, log=print) -> TunedSettings:
    """`settings` with the WORD_LIMIT_GRID point of lowest dev MAE; among points within WORD_LIMIT_TIE of it,
    the loosest limit (dev speech rarely has a word stretched over untranscribed sound, so several points tie;
    a limit then costs nothing on dev and rules out a 4-letter word lasting seconds elsewhere)."""
    maes = {}
    for seconds, per_letter in WORD_LIMIT_GRID:
        changed = replace(settings, max_word_seconds=seconds, max_seconds_per_letter=per_letter)
        maes[changed] = dev_mae(pairs, heads, lags, changed)
        log(f"longest word {seconds} s + {per_letter} s per letter: dev MAE {maes[changed] * 1000:.1f} ms")
    best = min(maes.values())
    tied = [s for s, mae in maes.items() if mae <= best + WORD_LIMIT_TIE]
    limited = [s for s in tied if s.max_word_seconds > 0]
    loosest = lambda s: s.max_word_seconds + 10 * s.max_seconds_per_letter  # the longest a 10-letter word may be
    return max(limited, key=loosest) if limited else tied[0]


def fit_confidence(pairs: Pairs, heads, lags: dict, settings: TunedSettings) -> tuple[float, float]:
    """(center s, slope per s) of the logistic curve P(both edges within CONFIDENT_WITHIN_SECONDS | disagreement).

    A word's disagreement (how far its placements by all heads and by each half of them differ) is read
    back from the confidence the shipped curve gave it (the curve is monotonic, so nothing is lost).
    """
    spread, hits = [], []
    for clip, result in pairs:
        words = align_tuned(result, heads, lags=lags, settings=settings)
        for i, j in match_words(words, clip.words):
            ref, word = clip.words[j], words[i]
            if not (math.isfinite(ref.start) and math.isfinite(ref.end)) or word.confidence in (None, 0.0, 1.0):
                continue
            spread.append(settings.confidence_center
                          + math.log((1 - word.confidence) / word.confidence) / settings.confidence_slope)
            hits.append(max(abs(word.start - ref.start), abs(word.end - ref.end)) <= CONFIDENT_WITHIN_SECONDS)
    x, y = np.array(spread), np.array(hits, float)
    a, b = -1.0, 0.0  # y ~ sigmoid(a * x + b), fitted by Newton's method
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p)
        gradient = np.array([((y - p) * x).sum(), (y - p).sum()])
        hessian = -np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]])
        a, b = np.array([a, b]) - np.linalg.solve(hessian, gradient)
    return round(float(-b / a), 3), round(float(-a), 2)


def search(pairs: Pairs, log=print) -> tuple[TunedHeads, TunedSettings, tuple[float, float]]:
    """Every step of the module docstring on `pairs` (dev clips with their analyses)."""
    stats = head_stats(pairs)
    heads = choose_heads(pairs, stats, log)
    lags = {p: stats[p][0] for p in heads}
    settings = choose_settings(pairs, heads, lags, log)
    official = HeadSet(pairs[0][1].alignment_heads).to_dump().decode("ascii")
    center, slope = fit_confidence(pairs, heads, lags, settings)
    settings = replace(settings, confidence_center=center, confidence_slope=slope)
    return TunedHeads(official, heads, tuple(lags[p] for p in heads), settings), settings, (center, slope)


def dev_pairs(model, clips: Sequence[BenchmarkClip]) -> list[tuple[BenchmarkClip, AnalysisResult]]:
    """Every dev clip the model can analyse, in both modes."""
    pairs = [(clip, clip_analysis(model, clip, mode)) for mode in MODES for clip in clips]
    return [(c, r) for c, r in pairs if r is not None and c.timed_words]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--device", default="cpu", help="where the analyses run (cpu, cuda)")
    parser.add_argument("--word-limit-only", action="store_true",
                        help="only step 3's word-length limit, on the shipped heads, lags and settings")
    args = parser.parse_args(argv)
    model = load_model(args.model, device=args.device)
    pairs = dev_pairs(model, load_real("dev"))
    if args.word_limit_only:
        shipped = TUNED_HEADS[args.model]
        settings = choose_word_limit(pairs, shipped.heads, shipped.lag_of(), shipped.settings)
        print(f"    {args.model!r}: max_word_seconds={settings.max_word_seconds}, "
              f"max_seconds_per_letter={settings.max_seconds_per_letter}")
        return
    heads, settings, (center, slope) = search(pairs)
    print(f"    {args.model!r}: {heads!r},")
    print(f"    settings: {settings!r}\n    confidence: center {center}, slope {slope}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "heads": [list(p) for p in heads.heads],
                                         "lags": list(heads.lags), "settings": settings.__dict__,
                                         "confidence": {"center": center, "slope": slope}}, indent=1))


if __name__ == "__main__":
    main()
