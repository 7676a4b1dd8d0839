"""Head discovery throughput: in process vs Ray with N local workers, and where one clip's time goes.

  python bench/bench_discovery.py --model tiny.en --clips 12 --runs 3 --workers 2
  python bench/bench_discovery.py --model base --split-only --clips 8

Throughput: `discover_on_corpus` end to end (both passes, no cache) over the first --clips clips of the
synthetic corpus (bench/discovery/synthetic.jsonl, train and held-out clips alternating), the engines
interleaved run by run so that load from other processes on a shared machine falls on both; medians of
--runs. Reported per engine: wall time, engine start (model load; Ray start and workers' loads), corpus
clips per minute end to end, and clip analyses per minute after the start (the steady rate that decides
a large corpus: every training clip is analysed twice, once per pass).

Split: for each clip in this process, the seconds of log-mel + encoder, the capture pass (all heads, forced
transcript), scoring every head alone (DTW + word matching), and scoring 32 candidate sets; and, for
comparison, recognising the clip (greedy decoding) when no transcript is given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from whisper_viz.evaluation.corpus import read_manifest  # noqa: E402
from whisper_viz.evaluation.corpus_discovery import DiscoverySettings, discover_on_corpus  # noqa: E402
from whisper_viz.evaluation.engines import EngineOptions  # noqa: E402

MANIFEST = REPO / "bench" / "discovery" / "synthetic.jsonl"
CANDIDATE_SETS = 32  # about what discovery scores per clip in its second pass (two rankings x 16 sizes)


def corpus(n: int):
    """The first n clips, alternating training and held-out clips so both passes have work."""
    clips = read_manifest(MANIFEST)
    train = [c for c in clips if not c.held_out]
    held = [c for c in clips if c.held_out]
    mixed = [c for pair in zip(train, held) for c in pair] + train[len(held):] + held[len(train):]
    return mixed[:n]


def throughput_run(model: str, engine: str, clips, workers: int, threads: int | None) -> dict:
    options = EngineOptions(model=model, engine=engine, workers=workers if engine == "ray" else None,
                            threads_per_worker=threads if engine == "inprocess" else 1)
    report = discover_on_corpus(clips, options, DiscoverySettings()).to_dict()
    timing = report["timing"]
    analyses = report["clips"]["computed"]
    steady = timing["wall_s"] - timing["engine_start_s"]
    return {"wall_s": timing["wall_s"], "engine_start_s": timing["engine_start_s"], "analyses": analyses,
            "clips_per_min": 60 * len(clips) / timing["wall_s"], "analyses_per_min_steady": 60 * analyses / steady,
            "audio_s": timing["audio_s"], "heads": report["heads_text"]}


def throughput(args) -> dict:
    clips = corpus(args.clips)
    runs = {"inprocess": [], "ray": []}
    for index in range(args.runs):
        for engine in ("inprocess", "ray") if index % 2 == 0 else ("ray", "inprocess"):
            run = throughput_run(args.model, engine, clips, args.workers, args.threads)
            runs[engine].append(run)
            print(f"run {index + 1} {engine:>9}: {run['wall_s']:6.1f} s wall, start {run['engine_start_s']:5.1f} s, "
                  f"{run['clips_per_min']:5.1f} clips/min, {run['analyses_per_min_steady']:5.1f} analyses/min "
                  f"after the start", flush=True)
    assert len({r["heads"] for rs in runs.values() for r in rs}) == 1, "engines chose different heads"
    summary = {engine: {key: statistics.median(r[key] for r in rs)
                        for key in ("wall_s", "engine_start_s", "clips_per_min", "analyses_per_min_steady")}
               for engine, rs in runs.items()}
    for engine, s in summary.items():
        print(f"median {engine:>9}: {s['wall_s']:.1f} s wall, start {s['engine_start_s']:.1f} s, "
              f"{s['clips_per_min']:.1f} clips/min, {s['analyses_per_min_steady']:.1f} analyses/min after the start")
    return {"clips": len(clips), "audio_s": runs["inprocess"][0]["audio_s"], "runs": runs, "median": summary}


def split(args) -> dict:
    """Seconds per clip of each stage, in this process."""
    import numpy as np
    import torch

    from whisper_viz.engine.analysis import _Windows, analyze
    from whisper_viz.engine.audio import load_audio
    from whisper_viz.engine.capture import capture_window
    from whisper_viz.engine.loading import load_model
    from whisper_viz.evaluation.metrics import boundary_errors, boundary_totals
    from whisper_viz.evaluation.scoring import align_result
    from whisper_viz.heads import HeadSet

    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(args.model, device=args.device)
    rows = []
    for clip in corpus(args.clips):
        audio = load_audio(clip.audio)
        if len(audio) > 30 * 16000:
            continue  # one window per clip keeps the stages separable
        tok = model.tokenizer
        sot = tok.sot_sequence("en" if tok.is_multilingual else None)
        text_tokens = tok.encode(" " + clip.text.strip())
        started = time.perf_counter()
        windows = _Windows(model, audio)
        state, size = windows.encode(0)
        encoded = time.perf_counter()
        capture_window(model, state, text_tokens, index=0, offset=0.0, num_frames=size // 2, sot_sequence=sot,
                       language="en", no_speech_probability=0.0)
        captured = time.perf_counter()
        result = analyze(model, audio, language="en" if tok.is_multilingual else None, text=clip.text)
        shape = result.shape
        scored = time.perf_counter()
        for layer in range(shape[0]):
            for head in range(shape[1]):
                boundary_totals([boundary_errors(align_result(result, HeadSet.from_pairs([(layer, head)], shape),
                                                              None)[1], clip.reference)])
        heads_scored = time.perf_counter()
        rng = np.random.default_rng(0)
        for _ in range(CANDIDATE_SETS):
            pairs = {(int(rng.integers(shape[0])), int(rng.integers(shape[1]))) for _ in range(8)}
            boundary_totals([boundary_errors(align_result(result, HeadSet.from_pairs(pairs, shape), None)[1],
                                             clip.reference)])
        sets_scored = time.perf_counter()
        analyze(model, audio, language="en" if tok.is_multilingual else None)
        recognised = time.perf_counter()
        rows.append({"clip": clip.id, "audio_s": len(audio) / 16000, "mel_encoder_s": encoded - started,
                     "capture_s": captured - encoded, "forced_analyze_s": scored - captured,
                     "score_heads_s": heads_scored - scored, "score_sets_s": sets_scored - heads_scored,
                     "recognise_analyze_s": recognised - sets_scored})
    keys = [k for k in rows[0] if k.endswith("_s")]
    median = {k: statistics.median(r[k] for r in rows) for k in keys}
    print(f"{args.model} on {args.device}, {len(rows)} clips, median seconds per clip:")
    for key, value in median.items():
        print(f"  {key:<22} {value:.3f}")
    return {"model": args.model, "device": args.device, "clips": rows, "median": median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clips", type=int, default=12, help="clips of the synthetic corpus (default: 12)")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine, interleaved (default: 3)")
    parser.add_argument("--workers", type=int, default=2, help="Ray workers (default: 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in process (default: all cores)")
    parser.add_argument("--split-only", action="store_true", help="only the per-clip time split")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    figures = {"split": split(args)}
    if not args.split_only:
        figures["throughput"] = throughput(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
