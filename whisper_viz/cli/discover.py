"""`whisper-viz heads discover`: choose alignment heads over a corpus of clips with reference word timings.

With references (--refs, one file per clip, or --manifest, one JSONL line per clip) the corpus runner scores
clips in this process or on Ray (--engine ray [--address ADDR]), caches each clip's scores by content hash
(a stopped run resumes), reports failed clips without stopping, and writes a JSON report. Without references,
heads are discovered in memory against a consensus set (a few clips only).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..errors import ReferenceFormatError

BAR_WIDTH = 30
NON_TTY_STEPS = 10  # progress lines per pass when stderr is not a terminal


def add_discover_parser(commands) -> None:
    discover = commands.add_parser("discover", help="find the heads whose word timings best match references")
    discover.add_argument("clips", nargs="*", type=Path, help="audio files (or give --manifest)")
    discover.add_argument("--refs", nargs="+", type=Path, default=None,
                          help="reference word timings, one file per clip (JSON, CSV, TextGrid, SRT, VTT)")
    discover.add_argument("--manifest", type=Path, default=None,
                          help="JSONL, one clip a line: {\"audio\", \"text\", \"words\": [{word, start, end}] or "
                               "\"refs\": file, optional \"id\" and \"split\": train | held_out}")
    discover.add_argument("--json", dest="json_out", type=Path, required=True, help="write the report here")
    discover.add_argument("--model", default="tiny.en", help="model name or path (default: tiny.en)")
    discover.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"),
                          help="device of every worker (default: cpu)")
    discover.add_argument("--engine", default="inprocess", choices=("inprocess", "ray"),
                          help="where clips are scored: this process (default) or Ray workers")
    discover.add_argument("--address", default=None, help="Ray cluster to use (e.g. auto, ray://head:10001); "
                                                          "default: start a local Ray")
    discover.add_argument("--workers", type=int, default=None, help="Ray workers (default: one per CPU)")
    discover.add_argument("--threads-per-worker", type=int, default=None,
                          help="torch threads per worker (default: 1 on Ray, every core in process)")
    discover.add_argument("--gpus-per-worker", type=float, default=0.0, help="e.g. 0.25: four workers per GPU")
    discover.add_argument("--held-out", type=float, default=0.25,
                          help="share of the clips without a split held out to measure the heads (default: 0.25)")
    discover.add_argument("--cache", type=Path, default=None,
                          help="per-clip results (default: $WHISPER_VIZ_CACHE/discovery or ~/.cache/whisper-viz/...)")
    discover.add_argument("--no-cache", action="store_true", help="score every clip again and keep nothing")
    discover.add_argument("--consensus", default="official", help="target heads when no references are given")
    discover.add_argument("--max-heads", type=int, default=16, help="largest head set considered (default: 16)")
    discover.add_argument("--candidates", type=int, default=48,
                          help="without references: best single heads tried at each greedy step")
    discover.set_defaults(run=run_discover)


class ProgressBar:
    """One line per pass on stderr: a bar, clips done and failed, and the rate."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.tty = stream, stream.isatty()
        self.current, self.started, self.shown = None, 0.0, -1

    def __call__(self, name: str, done: int, total: int, failed: int) -> None:
        if name != self.current:
            if self.current is not None and self.tty:
                self.stream.write("\n")
            self.current, self.started, self.shown = name, time.perf_counter(), -1
        step = max(1, total // NON_TTY_STEPS)
        if not self.tty and done != total and (done - self.shown < step):
            return
        self.shown = done
        filled = BAR_WIDTH * done // max(1, total)
        rate = done / max(1e-9, time.perf_counter() - self.started) * 60
        line = (f"{name:>5} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} clips"
                f" · {failed} failed · {rate:.1f} clips/min")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done == total:
            self.stream.write("\n")
            self.current = None
        self.stream.flush()


def run_discover(args) -> int:
    if args.manifest is None and not args.clips:
        raise ReferenceFormatError("give audio files (with --refs) or --manifest FILE")
    if args.manifest is None and args.refs is None:
        return _run_consensus(args)
    return _run_corpus(args)


def _run_corpus(args) -> int:
    from ..evaluation.corpus import clips_from_files, read_manifest  # noqa: PLC0415
    from ..evaluation.corpus_discovery import DiscoverySettings, discover_on_corpus  # noqa: PLC0415
    from ..evaluation.engines import EngineOptions  # noqa: PLC0415
    from ..evaluation.score_cache import ScoreCache, default_cache_folder  # noqa: PLC0415

    clips = list(read_manifest(args.manifest)) if args.manifest else []
    if args.clips:
        clips += clips_from_files(args.clips, args.refs or [])
    options = EngineOptions(model=args.model, device=args.device, engine=args.engine, address=args.address,
                            workers=args.workers, threads_per_worker=args.threads_per_worker,
                            gpus_per_worker=args.gpus_per_worker)
    cache = ScoreCache(None if args.no_cache else (args.cache or default_cache_folder()))
    settings = DiscoverySettings(max_heads=args.max_heads, held_out=args.held_out)
    discovery = discover_on_corpus(clips, options, settings, cache, ProgressBar())
    report = discovery.to_dict()
    args.json_out.write_text(json.dumps(report, indent=1))
    chosen, official = report["chosen"], report["official"]
    print(f"chosen heads ({chosen['size']}): {chosen['heads_text']}")
    print(f"dump: {chosen['dump']}")
    for name, entry in (("chosen", chosen), ("official", official)):
        print(f"{name:>8} heads MAE: train {_ms(entry['train']['mae_s'])}, held out {_ms(entry['held_out']['mae_s'])}")
    clips_count, timing = report["clips"], report["timing"]
    print(f"clips: {clips_count['train']} train, {clips_count['held_out']} held out, {clips_count['failed']} failed, "
          f"{clips_count['from_cache']} results from the cache; {timing['wall_s']:.1f} s on {report['engine']}")
    for failure in report["failed"]:
        print(f"failed: {failure['id']} ({failure['audio']}): {failure['error']}")
    return 0


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def _run_consensus(args) -> int:
    """No references: analyze a few clips in memory and follow the consensus heads (discovery.py)."""
    from ..engine.analysis import analyze  # noqa: PLC0415 - keep `--help` free of torch
    from ..engine.loading import load_model  # noqa: PLC0415
    from ..evaluation.discovery import discover_heads  # noqa: PLC0415

    model = load_model(args.model, device=args.device)
    results = [analyze(model, clip, without_silence=False) for clip in args.clips]  # reference steps only
    discovery = discover_heads(results, None, consensus=args.consensus, candidates=args.candidates,
                               max_heads=args.max_heads)
    record = {"model": args.model, "clips": [str(c) for c in args.clips], "references": None,
              "shape": list(discovery.heads.shape), **discovery.to_dict()}
    args.json_out.write_text(json.dumps(record, indent=2))
    print(f"heads ({len(discovery.heads)}): {discovery.heads.to_text()}")
    print(f"mean token-start difference from the consensus: {discovery.error * 1000:.1f} ms")
    print(f"dump: {discovery.to_dump().decode('ascii')}")
    return 0
