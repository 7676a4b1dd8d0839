"""The "tuned" alignment preset, the word-boundary metrics it was chosen by, and the search that chose it.

What "tuned" changes against the reference (openai-whisper's) alignment, each measured on the
TRAIN split of bench/accuracy only:
1. Heads and lags: each head's attention runs early or late by its own lag; every selected head's
   normalized matrix is shifted by its lag (20 ms frames) before the mean, so the heads agree.
   Heads and lags come from `search` (greedy forward selection on train).
2. Silence-aware DTW: frames whose energy says silence (with VOICED_PAD_FRAMES around speech) are
   dropped from the cost matrix, so no word can start or end inside a pause; times map back.
3. Word edges from the audio: a word's start and end move inward to its first and last voiced
   10 ms frame, so a word does not swallow the silence next to it. Starts and ends are set
   separately (end = the word's own last frame, not the next word's start).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .alignment import PRESETS, AlignmentOptions, AlignmentPreset, align_window, head_matrices
from .audio import SAMPLE_RATE
from .dtw import dtw_numba
from .heads import HeadSet, parse_heads
from .references import ReferenceWord, match_words
from .results import SECONDS_PER_ENCODER_FRAME, AnalysisResult, WordTiming

SAMPLES_PER_FRAME = 320  # one encoder frame (20 ms) at 16 kHz
EDGE_HOP = 160  # samples per voicing frame used to place word edges (10 ms)
PEAK_PERCENTILE = 99.0  # the clip's loud level: this percentile of frame energies (dB)
FLOOR_PERCENTILE = 5.0  # the clip's noise floor
VOICED_BELOW_PEAK_DB = 40.0  # a frame this far below the loud level is silence ...
VOICED_ABOVE_FLOOR_DB = 8.0  # ... and so is one less than this above the noise floor
VOICED_PAD_FRAMES = 2  # encoder frames kept on each side of voiced ones for DTW
MIN_WORD_SECONDS = 0.01  # shortest word the edge trimming leaves
MIN_GAIN_SECONDS = 0.001  # greedy search stops when a head improves the MAE by less than this
MAX_LAG_FRAMES = 25  # heads whose own lag is larger (0.5 s) are not aligned enough to use
MAX_HEADS = 10
WITHIN_SECONDS = (0.020, 0.050, 0.100)  # tolerances reported as shares of boundaries
PAUSE_LIMIT_SECONDS = 0.5  # the goal: no word after a long pause further off than this


@dataclass(frozen=True)
class TunedHeads:
    """Heads found by `search` for one model, with each head's lag."""

    official: str  # the model's official-heads dump, which identifies the model
    heads: tuple[tuple[int, int], ...]  # (layer, head), in the order the search picked them
    lags: tuple[int, ...]  # encoder frames (20 ms) each head's attention runs late (+) or early (-)

    def lag_of(self) -> dict[tuple[int, int], int]:
        return dict(zip(self.heads, self.lags))


# written by `python -m whisper_viz.tuning --model NAME` on bench/accuracy/data/train
TUNED_HEADS: dict[str, TunedHeads] = {
    "tiny.en": TunedHeads("ABzY8J1N>@0{>%R00Bk>$p{7v037`oCl~+#00",
                          ((2, 0), (1, 5), (2, 3), (3, 1), (2, 1)), (8, -9, 22, 10, -7)),
    "base": TunedHeads("ABzY8KQ!870{>%RzyTQH3`Q^yNP!>##QT-<FaQ7m",
                       ((4, 3), (5, 0), (1, 4), (5, 1), (4, 0), (3, 2), (4, 1), (1, 1)),
                       (-6, 10, -19, -4, 12, -1, 9, -1)),
}
TUNED_OPTIONS = AlignmentOptions(normalization="reference", medfilt_width=7, postprocess=False)


# --- voicing from the audio's own energy -----------------------------------------------------------
def voiced_frames(audio: np.ndarray, hop: int = SAMPLES_PER_FRAME) -> np.ndarray:
    """bool (frames,): True where frame `hop` samples long (from sample 0) holds speech energy.

    Relative thresholds: a frame is voiced when it is within VOICED_BELOW_PEAK_DB of the clip's
    loud frames and VOICED_ABOVE_FLOOR_DB above its noise floor, so gain and noise level do not matter.
    """
    n = len(audio) // hop + 1
    padded = np.zeros(n * hop, np.float64)
    padded[: len(audio)] = audio
    power_db = 10 * np.log10((padded.reshape(n, hop) ** 2).mean(axis=1) + 1e-12)  # (frames,)
    loud, floor = np.percentile(power_db, PEAK_PERCENTILE), np.percentile(power_db, FLOOR_PERCENTILE)
    return power_db > max(loud - VOICED_BELOW_PEAK_DB, floor + VOICED_ABOVE_FLOOR_DB)


def _dilate(mask: np.ndarray, frames: int) -> np.ndarray:
    out = mask.copy()
    for k in range(1, frames + 1):
        out[k:] |= mask[:-k]
        out[:-k] |= mask[k:]
    return out


def _shift(matrix: np.ndarray, lag: int) -> np.ndarray:
    """(..., frames) with out[..., t] = matrix[..., t + lag], edges repeated."""
    if lag == 0:
        return matrix
    index = np.clip(np.arange(matrix.shape[-1]) + lag, 0, matrix.shape[-1] - 1)
    return matrix[..., index]


# --- the tuned aligner ---------------------------------------------------------------------------
def tuned_heads_for(result: AnalysisResult) -> TunedHeads | None:
    """The search's heads for the model behind `result` (by name, else by its official heads)."""
    if result.model_name in TUNED_HEADS:
        return TUNED_HEADS[result.model_name]
    official = HeadSet(result.alignment_heads)
    for entry in TUNED_HEADS.values():
        try:
            if HeadSet.from_dump(entry.official, *result.shape) == official:
                return entry
        except ValueError:  # another model's shape
            continue
    return None


def align_tuned(result: AnalysisResult, heads=None, options: AlignmentOptions | None = None, *,
                lags: dict | None = None, trim_edges: bool = True) -> tuple[WordTiming, ...]:
    """Word timings with lag-shifted heads, silence-aware DTW and voiced word edges (seconds).

    heads: anything `parse_heads` accepts; None = the tuned heads of this model, or its official
    heads (lag 0) for models the search has not seen. lags: (layer, head) -> frames; None = the
    search's lags for heads it picked, 0 for others.
    """
    options = options or TUNED_OPTIONS
    tuned = tuned_heads_for(result)
    if heads is None:
        heads = tuned.heads if tuned else "official"
    head_set = parse_heads(heads, result.shape, official=result.alignment_heads)
    lag_of = (tuned.lag_of() if tuned else {}) if lags is None else lags
    voiced = _dilate(voiced_frames(result.audio), VOICED_PAD_FRAMES)
    words: list[WordTiming] = []
    for capture in result.windows:
        aligned = align_window(capture, head_set, options)  # words and token rows; times are replaced
        if not aligned.words:
            continue
        per_head = head_matrices(capture, head_set, options)  # (k, tokens, frames), layer-major
        matrix = np.mean([_shift(m, lag_of.get(p, 0)) for m, p in zip(per_head, head_set.pairs())], axis=0)
        n_tokens, n_frames = matrix.shape
        first = int(round(capture.offset / SECONDS_PER_ENCODER_FRAME))
        keep = np.zeros(n_frames, bool)
        part = voiced[first: first + n_frames]
        keep[: len(part)] = part
        columns = np.flatnonzero(keep)
        if len(columns) < n_tokens:  # too little speech energy to trust: use every frame
            columns = np.arange(n_frames)
        rows, steps = dtw_numba(-matrix[:, columns].astype(np.float64))
        frames = columns[steps]  # path frame of each step, in the window's frames
        row_first = np.full(n_tokens, -1)
        row_last = np.full(n_tokens, -1)
        for row, frame in zip(rows, frames):
            if row_first[row] < 0:
                row_first[row] = frame
            row_last[row] = frame
        for w in aligned.words:
            start = capture.offset + row_first[w.token_indices[0]] * SECONDS_PER_ENCODER_FRAME
            end = capture.offset + (row_last[w.token_indices[-1]] + 1) * SECONDS_PER_ENCODER_FRAME
            words.append(WordTiming(w.word, start, end, w.probability, w.window, w.token_indices))
    if trim_edges:
        words = _voiced_edges(words, result.audio)
    return tuple(words)


def _voiced_edges(words: list[WordTiming], audio: np.ndarray) -> list[WordTiming]:
    """Move each word's start and end inward to its first and last voiced 10 ms frame."""
    voiced = voiced_frames(audio, EDGE_HOP)
    step = EDGE_HOP / SAMPLE_RATE
    out = []
    for w in words:
        a, b = int(round(w.start / step)), int(round(w.end / step))
        inside = np.flatnonzero(voiced[a:b])
        start, end = (w.start, w.end) if not len(inside) else ((a + inside[0]) * step, (a + inside[-1] + 1) * step)
        if out and start < out[-1].end:  # rounding to 10 ms may overlap the previous word by a frame
            start = out[-1].end
        end = max(end, start + MIN_WORD_SECONDS)
        out.append(WordTiming(w.word, round(start, 3), round(end, 3), w.probability, w.window, w.token_indices))
    return out


PRESETS["tuned"] = AlignmentPreset("official", TUNED_OPTIONS, aligner=align_tuned)


# --- word-boundary accuracy against exact references ----------------------------------------------
@dataclass(frozen=True)
class BoundaryAccuracy:
    """Errors of predicted word starts and ends against references, over all scored words."""

    words: int  # reference words matched to a predicted word and scored
    reference_words: int  # reference words in all
    start_mae: float  # seconds, mean |predicted start - true start|
    end_mae: float  # seconds
    within: tuple[float, ...]  # share of boundaries (starts and ends) within each of WITHIN_SECONDS
    pause_max_error: float  # seconds: worst start or end error of a word after a long pause (0 if none)
    pause_words: int  # words after a long pause that were scored

    @property
    def mae(self) -> float:
        """Mean absolute error over starts and ends together (seconds)."""
        return (self.start_mae + self.end_mae) / 2

    @property
    def coverage(self) -> float:
        return self.words / self.reference_words if self.reference_words else 0.0


def boundary_errors(predicted: Sequence, reference: Sequence[ReferenceWord],
                    after_pause: Sequence[bool] = ()) -> tuple[np.ndarray, np.ndarray]:
    """float64 (matched, 2): (start, end) of predicted - true in seconds for words matched by
    `references.match_words`, and bool (matched,): whether each one follows a long pause."""
    predicted = list(predicted)
    pairs = match_words(predicted, reference)
    errors = np.array([[predicted[i].start - reference[j].start, predicted[i].end - reference[j].end]
                       for i, j in pairs], np.float64).reshape(-1, 2)  # (matched, start/end)
    flags = np.array([bool(after_pause[j]) if after_pause else False for _, j in pairs], bool)
    return errors, flags


def summarize_errors(errors: Sequence[np.ndarray], after_pause: Sequence[np.ndarray],
                     reference_words: int) -> BoundaryAccuracy:
    """Pool per-clip `boundary_errors` into one BoundaryAccuracy."""
    e = np.concatenate([np.reshape(x, (-1, 2)) for x in errors]) if len(errors) else np.zeros((0, 2))
    flags = np.concatenate([np.asarray(x, bool) for x in after_pause]) if len(after_pause) else np.zeros(0, bool)
    if not len(e):
        nan = float("nan")
        return BoundaryAccuracy(0, reference_words, nan, nan, tuple(nan for _ in WITHIN_SECONDS), 0.0, 0)
    size = np.abs(e)  # (words, start/end)
    within = tuple(float((size <= tol + 1e-9).mean()) for tol in WITHIN_SECONDS)
    pause = size[flags]
    return BoundaryAccuracy(len(e), reference_words, float(size[:, 0].mean()), float(size[:, 1].mean()), within,
                            float(pause.max()) if pause.size else 0.0, int(flags.sum()))


def score_words(predicted: Sequence, reference: Sequence[ReferenceWord],
                after_pause: Sequence[bool] = ()) -> BoundaryAccuracy:
    """BoundaryAccuracy of one clip's predicted words (objects with word, start, end)."""
    errors, flags = boundary_errors(predicted, reference, after_pause)
    return summarize_errors([errors], [flags], len(reference))


# --- the benchmark dataset -----------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkClip:
    id: str
    path: Path  # 16 kHz FLAC
    text: str  # the transcript, for forced alignment
    words: tuple[ReferenceWord, ...]  # true voiced spans, seconds
    after_pause: tuple[bool, ...]  # per word: True when a long pause comes before it
    pause: float | None  # seconds of the long pause between its sentences, None if it has none


def load_split(folder: str | Path) -> tuple[BenchmarkClip, ...]:
    """Read a split written by bench/accuracy/make_dataset.py (manifest.json + FLAC files)."""
    folder = Path(folder)
    clips = []
    for c in json.loads((folder / "manifest.json").read_text())["clips"]:
        pause = c.get("pause_seconds")
        words = tuple(ReferenceWord(w["word"], float(w["start"]), float(w["end"])) for w in c["words"])
        flags = tuple(bool(pause) and w["sentence"] > 0 for w in c["words"])
        clips.append(BenchmarkClip(c["id"], folder / c["file"], c["text"], words, flags, pause))
    return tuple(clips)


def evaluate(align, results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip]) -> BoundaryAccuracy:
    """Pool the accuracy of `align(result) -> words` over clips (results in the same order)."""
    scored = [boundary_errors(align(r), c.words, c.after_pause) for r, c in zip(results, clips)]
    return summarize_errors([e for e, _ in scored], [f for _, f in scored], sum(len(c.words) for c in clips))


# --- the search (train split only) ---------------------------------------------------------------
def head_lags(results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip]) -> dict[tuple[int, int], int]:
    """Each head's own lag: the median signed boundary error (frames) of aligning with it alone."""
    n_layers, n_heads = results[0].shape
    lags = {}
    for pair in ((layer, head) for layer in range(n_layers) for head in range(n_heads)):
        scored = [boundary_errors(align_tuned(r, [pair], lags={}, trim_edges=False), c.words)[0]
                  for r, c in zip(results, clips)]
        lags[pair] = int(round(np.median(np.concatenate(scored)) / SECONDS_PER_ENCODER_FRAME))
    return lags


def search(results: Sequence[AnalysisResult], clips: Sequence[BenchmarkClip], log=print) -> TunedHeads:
    """Greedy forward selection of lag-shifted heads minimizing the tuned aligner's MAE on `clips`."""
    lags = head_lags(results, clips)
    candidates = [p for p, lag in lags.items() if abs(lag) <= MAX_LAG_FRAMES]
    chosen: list[tuple[int, int]] = []
    best = float("inf")
    while candidates and len(chosen) < MAX_HEADS:
        scores = {p: evaluate(lambda r: align_tuned(r, chosen + [p], lags=lags), results, clips).mae
                  for p in candidates}
        pick = min(scores, key=scores.get)
        if scores[pick] > best - MIN_GAIN_SECONDS:
            break
        best = scores[pick]
        chosen.append(pick)
        candidates.remove(pick)
        log(f"{len(chosen)} heads, train MAE {best * 1000:.1f} ms: {chosen}")
    official = HeadSet(results[0].alignment_heads).to_dump().decode("ascii")
    return TunedHeads(official, tuple(chosen), tuple(lags[p] for p in chosen))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Search the tuned heads of a model on the benchmark's TRAIN split.")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--split", type=Path, default=Path("bench/accuracy/data/train"))
    args = parser.parse_args(argv)
    from .analysis import analyze  # noqa: PLC0415
    from .loading import load_model  # noqa: PLC0415

    model = load_model(args.model, device="cpu")
    clips = load_split(args.split)
    results = [analyze(model, c.path, language="en" if model.is_multilingual else None, text=c.text) for c in clips]
    found = search(results, clips)
    print(f"    {args.model!r}: {found!r},")


if __name__ == "__main__":
    main()
