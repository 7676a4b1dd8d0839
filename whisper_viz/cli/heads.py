"""`whisper-viz heads show|encode|decode|export|discover`: inspect, convert, export and discover alignment head sets.

show/encode/decode/export need no weights: the decoder shape comes from the official table (--model), a
Hugging Face folder's config.json, a discovery report, or --shape LAYERSxHEADS. discover lives in discover.py.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..errors import HeadSetError
from ..export.heads import HEAD_FORMATS, decoder_shape_of_folder, export_heads
from ..heads import OFFICIAL_HEADS, PRESETS, HeadSet, official_shape, parse_heads
from .discover import add_discover_parser

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

    export = commands.add_parser("export", help="write a head set into an HF generation_config.json, a CTranslate2 "
                                                "config.json, or print openai-whisper's dump")
    export.add_argument("--heads", default=None, help=_HEADS_HELP + "; or a discovery report (.json): its chosen set")
    export.add_argument("--format", required=True, choices=tuple(HEAD_FORMATS),
                        help="huggingface: generation_config.json; ctranslate2: config.json; openai: base85 dump")
    export.add_argument("--out", type=Path, default=None,
                        help="model folder or config file to write into (openai: a file for the dump, else printed)")
    export.add_argument("--model", default=None, help="official model name or HF folder the set is for (its shape "
                                                      "and 'official' set); default: the --out folder's or report's")
    export.add_argument("--shape", default=None, help="decoder LAYERSxHEADS, e.g. 6x8, for other models")
    export.set_defaults(run=_run_export)

    add_discover_parser(commands)


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
    if args.model in OFFICIAL_HEADS:
        return official_shape(args.model)
    shape = decoder_shape_of_folder(Path(args.model).expanduser()) if args.model else None
    if shape is None:
        raise HeadSetError(f"unknown model {args.model!r}: cannot tell its decoder shape; give an official model name "
                           f"({', '.join(OFFICIAL_HEADS)}), a Hugging Face folder, or --shape LAYERSxHEADS")
    return shape


def _official(args):
    """What "official" means for --model: an official name, or a Hugging Face folder's generation_config heads."""
    if args.model in OFFICIAL_HEADS or not args.model:
        return args.model or None
    try:
        config = json.loads((Path(args.model).expanduser() / "generation_config.json").read_text())
        return [tuple(p) for p in config["alignment_heads"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


def read_report_heads(path: Path) -> HeadSet:
    """The chosen head set of a `heads discover` report."""
    try:
        report = json.loads(path.read_text())
        return HeadSet.from_pairs(report["heads"], tuple(report["shape"]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise HeadSetError(f"{path} is not a discovery report with 'heads' and 'shape' ({e!r}); "
                           "write one with `whisper-viz heads discover ... --json`") from e


def _run_export(args) -> int:
    spec = args.heads or "official"
    if spec.endswith(".json") and Path(spec).expanduser().is_file():
        heads = read_report_heads(Path(spec).expanduser())
    else:
        if args.model is None and args.shape is None and args.out is not None and args.out.is_dir():
            args.model = str(args.out)  # the folder the set goes into tells its shape
        if args.model is None and args.shape is None:
            raise HeadSetError("give --model (an official name or HF folder) or --shape LAYERSxHEADS for the head set")
        heads = parse_heads(spec, _shape(args), official=_official(args))
    written = export_heads(heads, args.format, args.out)
    if args.format == "openai":
        print(written)
    else:
        print(f"wrote {len(heads)} alignment heads ({heads.to_text()}) to {written}")
    return 0
