"""The `whisper-viz` command line: one subcommand per file (analyze, heads, silence), dispatched here.

Parsers are built without importing torch, numba or the model code, so `whisper-viz --help` answers at once;
each subcommand imports what it needs when it runs.
"""

import argparse
import sys

from ..errors import WhisperVizError
from .analyze import add_analyze_parser
from .heads import add_heads_parser
from .silence import add_silence_parser

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # as a shell reports Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whisper-viz", description="See where Whisper listens.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_analyze_parser(subparsers)
    add_heads_parser(subparsers)
    add_silence_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except WhisperVizError as e:
        print(f"whisper-viz: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("\nwhisper-viz: interrupted (work finished so far is cached: run the same command to resume)",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
