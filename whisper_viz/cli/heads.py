"""`whisper-viz heads show|encode|decode|discover`: inspect, convert and discover alignment head sets.

show/encode/decode need no weights: the decoder shape comes from the official table (--model) or
--shape LAYERSxHEADS. discover loads the model, analyzes the clips (forced to the reference text
when references are given) and runs forward selection.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..errors import HeadSetError, ReferenceFormatError
from ..heads import OFFICIAL_HEADS, PRESETS, HeadSet, official_shape, parse_heads

GRID_ON, GRID_OFF = "#", "."
_SHAPE = re.compile(r"^\s*(\d+)\s*[x×,]\s*(\d+)\s*$")


def add_heads_parser(subparsers) -> None:
    """Add the `heads` command and its subcommands to the whisper-viz parser."""
    heads = subparsers.add_parser("heads", help="show, encode, decode or discover alignment head sets")
    commands = heads.add_subparsers(dest="heads_command", required=True)

    show = commands.add_parser("show", help="print a head set as a (layers x heads) grid")
    _add_shape_args(show)
    show.add_argument("--heads", default="official", help=_HEADS_HELP)
    show.set_defaults(run=_run_show)

    encode = commands.add_parser("encode", help="print a head set as an openai-whisper base85 dump")
    _add_shape_args(encode)
    encode.add_argument("--preset", default=None, choices=PRESETS, help="a named set (default: official)")
    encode.add_argument("--heads", default=None, help=_HEADS_HELP)
    encode.add_argument("--mtime", type=int, default=None,
                        help="gzip header time; default: the official dump's for official sets, else 0")
    encode.set_defaults(run=_run_encode)

    decode = commands.add_parser("decode", help="print the (layer, head) pairs and grid of a dump")
    decode.add_argument("dump", help="base85 dump, as in openai-whisper's _ALIGNMENT_HEADS")
    _add_shape_args(decode)
    decode.set_defaults(run=_run_decode)

    discover = commands.add_parser("discover", help="find the heads whose word timings best match references")
    discover.add_argument("clips", nargs="+", type=Path, help="audio files")
    discover.add_argument("--refs", nargs="+", type=Path, default=None,
                          help="reference word timings, one file per clip (JSON, CSV, TextGrid, SRT, VTT)")
    discover.add_argument("--json", dest="json_out", type=Path, required=True, help="write the discovery here")
    discover.add_argument("--model", default="tiny.en", help="model name or path (default: tiny.en)")
    discover.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    discover.add_argument("--consensus", default="official", help="target heads when no --refs: " + _HEADS_HELP)
    discover.add_argument("--max-heads", type=int, default=16)
    discover.add_argument("--candidates", type=int, default=48, help="best single heads tried at each step")
    discover.set_defaults(run=_run_discover)


_HEADS_HELP = "official, all, upper, none, a base85 dump, or layer:head pairs like 3:1,4:2"


def _add_shape_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="tiny.en", help=f"official model name: {', '.join(OFFICIAL_HEADS)}")
    parser.add_argument("--shape", default=None, help="decoder LAYERSxHEADS, e.g. 6x8, for other models")


def _shape(args) -> tuple[int, int]:
    if args.shape:
        match = _SHAPE.match(args.shape)
        if match is None:
            raise HeadSetError(f"--shape must look like 6x8 (layers x heads), got {args.shape!r}")
        return int(match.group(1)), int(match.group(2))
    return official_shape(args.model)


def _official(args):
    return args.model if args.model in OFFICIAL_HEADS else None


def format_grid(heads: HeadSet) -> str:
    """Text grid: one line per layer, GRID_ON where the head is in the set."""
    width = len(str(heads.n_heads - 1))
    label = len(f"layer {heads.n_layers - 1}")
    lines = [" " * label + "  head " + " ".join(f"{h:>{width}}" for h in range(heads.n_heads))]
    for layer in range(heads.n_layers):
        cells = " ".join(f"{GRID_ON if heads.mask[layer, h] else GRID_OFF:>{width}}" for h in range(heads.n_heads))
        lines.append(f"{f'layer {layer}':<{label}}       {cells}")
    return "\n".join(lines)


def _describe(heads: HeadSet) -> str:
    return (f"{len(heads)} of {heads.n_layers * heads.n_heads} heads ({heads.n_layers} layers x {heads.n_heads} heads)\n"
            f"pairs: {heads.to_text() or '(none)'}\n{format_grid(heads)}")


def _run_show(args) -> int:
    heads = parse_heads(args.heads, _shape(args), official=_official(args))
    print(_describe(heads))
    return 0


def _run_encode(args) -> int:
    if args.preset is not None and args.heads is not None:
        raise HeadSetError("give either --preset or --heads, not both")
    spec = args.heads if args.heads is not None else (args.preset or "official")
    heads = parse_heads(spec, _shape(args), official=_official(args))
    print(heads.to_dump(mtime=args.mtime).decode("ascii"))
    return 0


def _run_decode(args) -> int:
    heads = HeadSet.from_dump(args.dump, *_shape(args))
    print(_describe(heads))
    return 0


def _run_discover(args) -> int:
    from ..engine.analysis import analyze  # noqa: PLC0415 - keep `--help` free of torch
    from ..engine.loading import load_model  # noqa: PLC0415
    from ..evaluation.discovery import discover_heads  # noqa: PLC0415
    from ..evaluation.references import load_reference  # noqa: PLC0415

    if args.refs is not None and len(args.refs) != len(args.clips):
        raise ReferenceFormatError(f"{len(args.refs)} reference files for {len(args.clips)} clips; give one per clip")
    references = [load_reference(path) for path in args.refs] if args.refs else [None] * len(args.clips)
    model = load_model(args.model, device=args.device)
    results = []
    for clip, reference in zip(args.clips, references):
        text = " ".join(w.word for w in reference) if reference else None
        results.append(analyze(model, clip, text=text))
    discovery = discover_heads(results, references if args.refs else None, consensus=args.consensus,
                               candidates=args.candidates, max_heads=args.max_heads)
    record = {"model": args.model, "clips": [str(c) for c in args.clips],
              "references": [str(r) for r in args.refs] if args.refs else None, **discovery.to_dict()}
    args.json_out.write_text(json.dumps(record, indent=2))
    print(_describe(discovery.heads))
    print(f"mean boundary error: {discovery.error * 1000:.1f} ms "
          f"(official heads: {discovery.baseline_error * 1000:.1f} ms), target: {discovery.target}")
    print(f"dump: {discovery.to_dump().decode('ascii')}")
    return 0
