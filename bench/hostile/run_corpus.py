"""Runs every file of the hostile corpus through `analyze` as the app does; each must give a result or a
WhisperVizError within --timeout seconds.

    python bench/hostile/make_corpus.py && python bench/hostile/run_corpus.py [--model tiny.en] [--timeout 60]

One worker process loads the model once and analyses the files one after another (the file's bytes, the
app's limits: 10 min of audio, APP_LIMITS' wall time), on --threads threads. The parent waits at most
--timeout seconds per file; a file past it, or one that kills the worker, is a failure and the worker is
started again. So are errors that are not WhisperVizError. Prints a summary and writes every outcome to
--json.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def worker(model_name: str, threads: int) -> None:
    """Read file paths from stdin, write one JSON outcome per line to stdout."""
    import torch

    torch.set_num_threads(threads)
    import whisper_viz as wv
    from whisper_viz.ui.resources import APP_LIMITS

    model = wv.load_model(model_name, device="cpu")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        path = Path(line.strip())
        started = time.perf_counter()
        outcome = {"file": path.name}
        try:
            result = wv.analyze(model, path.read_bytes(), limits=APP_LIMITS)
            outcome.update(outcome="result", text=result.text[:80], windows=len(result.windows))
        except wv.WhisperVizError as error:
            outcome.update(outcome="error", error_type=type(error).__name__, message=str(error))
        except Exception as error:  # noqa: BLE001 - reported as a failure of the library
            outcome.update(outcome="unexpected", error_type=type(error).__name__, message=str(error)[:300])
        outcome["seconds"] = time.perf_counter() - started
        print(json.dumps(outcome), flush=True)


class Worker:
    def __init__(self, model: str, threads: int):
        self.process = subprocess.Popen([sys.executable, __file__, "--worker", "--model", model, "--threads",
                                         str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        if self.read(600) is None:
            raise RuntimeError("the worker did not start")

    def read(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def analyse(self, path: Path, timeout: float) -> dict | None:
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        return self.read(timeout)

    def stop(self) -> None:
        self.process.kill()  # by its own pid
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/whisper-viz-hostile"))
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per file")
    parser.add_argument("--json", type=Path, default=Path("/tmp/whisper-viz-hostile.json"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.model, args.threads)
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    outcomes, current = [], Worker(args.model, args.threads)
    for i, path in enumerate(files, 1):
        started = time.perf_counter()
        outcome = current.analyse(path, args.timeout)
        if outcome is None:  # past the timeout, or the worker died
            alive = current.process.poll() is None
            outcome = {"file": path.name, "outcome": "timeout" if alive else "crash",
                       "seconds": time.perf_counter() - started}
            current.stop()
            current = Worker(args.model, args.threads)
        outcomes.append(outcome)
        detail = outcome.get("error_type", outcome.get("text", ""))
        print(f"[{i}/{len(files)}] {path.name}: {outcome['outcome']} {detail} ({outcome['seconds']:.1f} s)", flush=True)
    current.stop()
    failed = [o for o in outcomes if o["outcome"] not in ("result", "error") or not o.get("message", "x").strip()]
    seconds = [o["seconds"] for o in outcomes]
    summary = {"files": len(outcomes), "failed": len(failed), "outcomes": Counter(o["outcome"] for o in outcomes),
               "errors": Counter(o.get("error_type") for o in outcomes if o["outcome"] == "error"),
               "median_s": statistics.median(seconds), "max_s": max(seconds),
               "slowest": sorted(outcomes, key=lambda o: -o["seconds"])[:5], "failures": failed}
    args.json.write_text(json.dumps({"summary": summary, "outcomes": outcomes}, indent=1, default=str))
    print(json.dumps({k: v for k, v in summary.items() if k not in ("slowest", "failures")}, default=str))
    print("slowest:", [(o["file"], round(o["seconds"], 1), o["outcome"]) for o in summary["slowest"]])
    print("failures:", [(o["file"], o["outcome"], o.get("error_type")) for o in failed])


if __name__ == "__main__":
    main()
