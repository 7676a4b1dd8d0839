"""Word-boundary accuracy on held-out speech: whisper-viz (reference and tuned) against openai-whisper and faster-whisper.

    python bench/accuracy/bench_accuracy.py                 # tiny.en and base, real TEST split + synthetic test
    python bench/accuracy/bench_accuracy.py --models base --split dev --no-peers --no-write

Real speech (bench/accuracy/real, see SOURCES.md): read and spontaneous English of many speakers, and other
languages, with human word or phrase boundaries (read LJ Speech clips: pocketsphinx boundaries). Synthetic
speech: espeak-ng words joined with known gaps (bench/accuracy/data). Recognition mode: every system
transcribes the clip itself and recognised words are matched to the reference by text; forced mode (ours
only: the peers cannot teacher-force) aligns the true transcript. Every figure comes from
whisper_viz.evaluation.metrics. Analyses are cached in bench/out/analyses (analyses.py).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
from analyses import MODES, clip_analysis, language_for  # noqa: E402
from dataset import SYNTHETIC, load_real, load_split  # noqa: E402
from peers import cached, faster_transcriber, openai_transcriber  # noqa: E402
from report import write_results  # noqa: E402
from silence_check import silence_errors  # noqa: E402

from whisper_viz.alignment.confidence import CONFIDENT_WITHIN_SECONDS, UNSURE_BELOW  # noqa: E402
from whisper_viz.alignment.presets import align_words  # noqa: E402
from whisper_viz.alignment.tuned import align_tuned  # noqa: E402
from whisper_viz.engine.loading import load_model  # noqa: E402
from whisper_viz.evaluation.metrics import boundary_errors, summarize  # noqa: E402
from whisper_viz.evaluation.references import match_words  # noqa: E402

REFERENCE, TUNED = "whisper-viz reference (official heads)", "whisper-viz tuned"
PEERS = ("openai-whisper", "faster-whisper")
NO_CUT = "tuned without the silence cut"  # the silence check only: words timed on the clip with its silence
ABLATIONS = {  # the tuned aligner with one step switched off (real speech only)
    "tuned without pauses": dict(pause_score=-10.0, silence_gain=0.0),
    "tuned without word edges from the audio": dict(max_edge_shift_frames=0),
    "tuned without minimum durations": dict(min_seconds_per_letter=0.0),
}


def systems() -> dict:
    """name -> result -> words, for our aligners."""
    out = {REFERENCE: lambda r: align_words(r, preset="reference"), TUNED: lambda r: align_words(r, preset="tuned")}
    out |= {name: (lambda r, c=changes: align_tuned(r, **c)) for name, changes in ABLATIONS.items()}
    return out


def confidence_check(clip, words, collected: dict) -> None:
    """Tally whether words the tuned aligner is sure of (confidence >= UNSURE_BELOW) are closer than the others."""
    for i, j in match_words(words, clip.words):
        ref, word = clip.words[j], words[i]
        if ref.start == ref.start and ref.end == ref.end and word.confidence is not None:  # both edges known
            good = max(abs(word.start - ref.start), abs(word.end - ref.end)) <= CONFIDENT_WITHIN_SECONDS
            collected.setdefault("sure" if word.confidence >= UNSURE_BELOW else "unsure", []).append(good)


def run_model(name: str, clips, threads: int, peers: bool, silence: bool, workdir: Path, log=print,
              device: str = "cpu") -> dict:
    model = load_model(name, device=device)
    aligners = systems()
    scored: dict[tuple[str, str, str], list] = {}  # (system, mode, kind) -> per-clip BoundaryErrors
    by_source: dict[tuple[str, str, str], list] = {}
    calibration: dict[str, list] = {}
    for clip in clips:
        for mode in MODES:
            result = clip_analysis(model, clip, mode)
            if result is None:
                continue
            for system, align in aligners.items():
                if clip.kind == "synthetic" and system not in (REFERENCE, TUNED):
                    continue
                words = align(result)
                errors = boundary_errors(words, clip.words, clip.after_pause)
                scored.setdefault((system, mode, clip.kind), []).append(errors)
                by_source.setdefault((system, mode, clip.source), []).append(errors)
                if system == TUNED and clip.kind != "synthetic":
                    confidence_check(clip, words, calibration)
        log(f"{name}: {clip.id}")
    if peers:
        for peer, make in zip(PEERS, (lambda: openai_transcriber(model),
                                      lambda: faster_transcriber(model, threads, workdir))):
            run = cached(lambda path, language, make=make, box={}: box.setdefault("run", make())(path, language),
                         name, peer)  # the peer model loads only when a clip is not cached yet
            for clip in clips:
                if not model.is_multilingual and not clip.language.startswith("en"):
                    continue
                words = run(clip.path, language_for(model, clip.language))
                errors = boundary_errors(words, clip.words, clip.after_pause)
                scored.setdefault((peer, "recognition", clip.kind), []).append(errors)
                by_source.setdefault((peer, "recognition", clip.source), []).append(errors)
            log(f"{name}: {peer} done")
    rows = [dict(system=s, mode=m, kind=k, **_summary(v)) for (s, m, k), v in scored.items()]
    rows += [dict(system=s, mode=m, kind="real English (read + spontaneous)",
                  **_summary([e for (s2, m2, k2), v in scored.items() if (s2, m2) == (s, m)
                              and k2 in ("read", "spontaneous") for e in v]))
             for s, m in {(s, m) for s, m, _ in scored}]
    sources = [dict(system=s, mode=m, source=src, **_summary(v)) for (s, m, src), v in by_source.items()]
    run = {"model": name, "rows": rows, "sources": sources,
           "confidence": {k: {"words": len(v), "within": sum(v) / len(v)} for k, v in calibration.items()}}
    if silence:
        timed = [c for c in clips if c.kind in ("read", "spontaneous")]
        cells = silence_errors(model, timed, {REFERENCE: aligners[REFERENCE], TUNED: aligners[TUNED],
                                              NO_CUT: lambda r: align_tuned(r, use_silence_cut=False)}, log)
        run["silence"] = [dict(system=s, place=p, mode=m, words=len(e.errors), off=e.off, median=e.percentile(50),
                               p90=e.percentile(90), off_forgiven=e.off_forgiven,
                               p90_forgiven=e.percentile(90, forgiven=True)) for (s, p, m), e in cells.items()]
    return run


def _summary(clips) -> dict:
    accuracy = summarize(clips)
    return {"mae": accuracy.mae, "start_mae": accuracy.start_mae, "end_mae": accuracy.end_mae,
            "within": list(accuracy.within), "boundaries": accuracy.boundaries, "words": accuracy.words,
            "reference_words": accuracy.reference_words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--split", default="test", choices=("dev", "test"), help="real split (synthetic: test/train)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="where our analyses run (cpu, cuda)")
    parser.add_argument("--no-peers", action="store_true", help="skip openai-whisper and faster-whisper")
    parser.add_argument("--no-silence", action="store_true", help="skip the inserted-silence check")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md and results json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clips = list(load_real(args.split))
    if not args.no_synthetic:
        clips += load_split(SYNTHETIC / ("test" if args.split == "test" else "train"))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            started = time.perf_counter()
            runs.append(run_model(name, clips, args.threads, not args.no_peers, not args.no_silence, Path(tmp),
                                  log=lambda m: print(m, file=sys.stderr), device=args.device))
            print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    command = "python bench/accuracy/bench_accuracy.py" + "".join(f" {a}" for a in sys.argv[1:])
    meta = dict(date=time.strftime("%Y-%m-%d"), machine=platform.machine(), device=args.device, threads=args.threads,
                torch=torch.__version__, split=args.split, command=command)
    text = write_results(runs, meta, None if args.no_write else HERE)
    print(text)


if __name__ == "__main__":
    main()
