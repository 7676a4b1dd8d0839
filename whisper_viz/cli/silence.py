"""`whisper-viz silence`: insert silence into a clip and report how far every word's timing moves."""

import argparse
import json
from pathlib import Path

from ..errors import AudioError


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated seconds like 0,2,7,13, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated word numbers like 6 or 3,8, got {text!r}") from None


def add_silence_parser(subparsers) -> None:
    """Register the `silence` subcommand on an argparse subparsers object."""
    p = subparsers.add_parser(
        "silence", help="insert silence at a time or after a word; measure how far each word's timing moves",
        description="Inserts each duration of silence (or quiet noise) at the given points, aligns the original "
                    "and every variant in forced mode on the same transcript, and reports each word's expected "
                    "shift, measured start/end shift and error, per head set.")
    p.add_argument("audio", help="audio file (wav, flac, ogg, mp3)")
    p.add_argument("--model", default="tiny.en", help="model name (tiny.en, base) or path (default: tiny.en)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--language", default=None, help="language code; default: detect (multilingual models)")
    p.add_argument("--at-word", type=_ints, default=(), metavar="N[,N...]",
                   help="insert after these words (numbered from 1: 6 = after the sixth word), at the word's end")
    p.add_argument("--at", type=_floats, default=(), metavar="SECONDS[,...]", help="insert at these times")
    p.add_argument("--durations", type=_floats, default=(0.0, 2.0, 7.0, 13.0), metavar="S[,S...]",
                   help="seconds of silence, one variant each (default: 0,2,7,13)")
    p.add_argument("--text", default=None, help="transcript (default: recognised from the original)")
    p.add_argument("--heads", action="append", default=[], metavar="SET",
                   help="a head set or preset to compare; repeat it (or separate with ';') for more: official, "
                        "tuned, reference, all, a base85 dump, or 3:1,3:2 (official is always included)")
    p.add_argument("--noise-db", type=float, default=None, help="fill with Gaussian noise at this dBFS instead of zeros")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    p.add_argument("--json", dest="json_out", type=Path, help="write the per-word shifts and the sweep as JSON")
    p.set_defaults(run=run_silence)


def run_silence(args) -> int:
    from ..engine.loading import load_model  # noqa: PLC0415 - keep `--help` free of torch
    from ..experiments.silence import SilenceOptions, run_silence_experiment  # noqa: PLC0415

    if not args.at_word and not args.at:
        raise AudioError("say where to insert the silence: --at-word N (after word N) or --at SECONDS")
    heads = tuple(h.strip() for spec in args.heads for h in spec.split(";") if h.strip()) or ("official",)
    options = SilenceOptions(durations=args.durations, at=args.at, after_words=args.at_word,
                             noise_db=args.noise_db, seed=args.seed, heads=heads)
    model = load_model(args.model, device=args.device)
    experiment = run_silence_experiment(model, args.audio, options, text=args.text, language=args.language)
    record = experiment.to_dict()
    if args.json_out:
        args.json_out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    print(f"text: {experiment.text}")
    print("insert at: " + ", ".join(f"{p:.3f} s" for p in experiment.points))
    print(f"{'heads':<12}{'silence':>8}{'word':>6}  {'':<14}{'expected':>9}{'d start':>9}{'d end':>9}{'error':>8}")
    for s in experiment.shifts:
        print(f"{s.heads[:11]:<12}{s.duration:8.2f}{s.number:6d}  {s.word.strip()[:13]:<14}{s.expected:9.3f}"
              f"{s.start_shift:9.3f}{s.end_shift:9.3f}{s.error:8.3f}")
    print(f"\n{'heads':<12}{'silence':>8}{'MAE':>8}{'max':>8}{'off>0.5s':>9}{'windows':>8}")
    for point in experiment.sweep():
        print(f"{point.heads[:11]:<12}{point.duration:8.2f}{point.mean_abs_error:8.3f}{point.max_abs_error:8.3f}"
              f"{point.misplaced:9d}{point.windows:8d}")
    return 0
