"""`whisper-viz analyze`: transcribe (or align a given transcript), capture every head, write words and attention."""

import argparse
import json
from pathlib import Path


def add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="tiny.en", help="model name (tiny.en, base) or path (default: tiny.en)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))


def add_analyze_parser(subparsers) -> None:
    p = subparsers.add_parser("analyze", help="transcribe (or align --text) and capture every head's attention")
    p.add_argument("audio", help="audio file (wav, flac, ogg, mp3)")
    add_model_args(p)
    p.add_argument("--language", default=None, help="language code; default: detect (multilingual models)")
    p.add_argument("--task", default="transcribe", choices=("transcribe", "translate"))
    p.add_argument("--text", default=None, help="transcript to align instead of recognising (forced mode)")
    p.add_argument("--heads", default=None,
                   help="head set for word timings: official, all, upper, a base85 dump, or 3:1,4:2 "
                        "(default: the preset's heads, else official)")
    p.add_argument("--preset", default=None, help="named alignment preset: reference (openai-whisper's) or tuned (whisper-viz's, "
                        "with its own heads unless --heads is given)")
    p.add_argument("--json", dest="json_out", type=Path, help="write model, text, words and heads as JSON")
    p.add_argument("--npz", dest="npz_out", type=Path, help="write attention, token_ids and frame_seconds as NPZ")
    p.set_defaults(run=run_analyze)


def run_analyze(args) -> int:
    from ..alignment.presets import align_words, get_preset  # noqa: PLC0415 - keep `--help` free of torch
    from ..engine.analysis import analyze  # noqa: PLC0415
    from ..engine.loading import load_model  # noqa: PLC0415
    from ..export.attention import attention_npz  # noqa: PLC0415
    from ..export.words import result_to_dict  # noqa: PLC0415
    from ..heads import parse_heads  # noqa: PLC0415

    model = load_model(args.model, device=args.device)
    result = analyze(model, args.audio, language=args.language, text=args.text, task=args.task)
    if args.heads is None and args.preset is None:  # analyze aligned with the official heads already
        heads, words = parse_heads("official", result.shape, official=result.alignment_heads), result.words
    elif args.heads is None:
        heads, words = get_preset(args.preset).head_set(result), align_words(result, preset=args.preset)
    else:
        heads = parse_heads(args.heads, result.shape, official=result.alignment_heads)
        words = align_words(result, heads=heads, preset=args.preset)
    record = result_to_dict(result, words, heads.mask)
    record["preset"] = args.preset
    if args.json_out:
        args.json_out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    if args.npz_out:
        args.npz_out.write_bytes(attention_npz(result))
    print(result.text)
    for w in record["words"]:
        print(f"{w['start']:8.2f} {w['end']:8.2f}  {w['word']}")
    return 0
