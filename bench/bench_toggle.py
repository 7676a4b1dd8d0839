"""Head-toggle latency in a real browser: from the click on a head's checkbox to the updated heatmap and
word table, on a 30 s clip with tiny.en on CPU.

    python bench/bench_toggle.py [--toggles 12] [--runs 3] [--chart picture|interactive]

Starts the app, uploads the first 30 s of tests/data/long45.flac in headless Debian Chromium, then toggles
head 0:1 on and off --toggles times per run, each in a fresh session. Reports per run the median time to
the heatmap's new title, to the word table's canvas (what is seen) and to its accessibility text (updated
later), and the later of heatmap and canvas ("visible"); writes them to --json. --chart picks the heatmap
drawn: the SVG picture (the page's default) or the interactive plotly figure (`interactive=1`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import REPO, VIEWPORT, app_server, launch_chromium  # noqa: E402
from toggle_probes import ARM_CLICK_CLOCK, HEATMAP_TITLE, SNAPSHOT, WAIT_FOR_UPDATE  # noqa: E402

CLIP_SECONDS = 30
LOAD_TIMEOUT_MS = 300_000
UPDATE_TIMEOUT_MS = 30_000
READY = """() => { """ + HEATMAP_TITLE + """ const mosaic = document.querySelector('.st-key-mosaic .js-plotly-plot');
  return !!(heatmapTitle() && mosaic && mosaic._fullLayout) && !!document.querySelector('.st-key-word_table table'); }"""
CHARTS = {"picture": "", "interactive": "&interactive=1"}  # query of each way to draw the heatmap


def _clip(folder: Path) -> Path:
    audio, rate = sf.read(REPO / "tests" / "data" / "long45.flac", dtype="float32")
    path = folder / "clip30.flac"
    sf.write(path, audio[: CLIP_SECONDS * rate], rate)
    return path


def _run(browser, url: str, clip: Path, toggles: int, chart: str) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{url}/?source=upload{CHARTS[chart]}")
        page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(clip))
        page.wait_for_function(READY, timeout=LOAD_TIMEOUT_MS)
        latencies = []
        for _ in range(toggles):
            before = page.evaluate(SNAPSHOT)
            page.evaluate(ARM_CLICK_CLOCK)
            page.click(".st-key-head_0_1 label")
            latencies.append(page.evaluate(WAIT_FOR_UPDATE, [before, UPDATE_TIMEOUT_MS]))
    finally:
        context.close()
    changed = [m for m in latencies if None not in (m["table"], m["canvas"], m["heatmap"])]
    return {"toggles": latencies,
            "median_heatmap_ms": statistics.median(m["heatmap"] for m in latencies if m["heatmap"] is not None),
            "median_table_canvas_ms": statistics.median(m["canvas"] for m in changed),
            "median_table_text_ms": statistics.median(m["table"] for m in changed),
            "median_visible_ms": statistics.median(max(m["heatmap"], m["canvas"]) for m in changed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toggles", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chart", choices=list(CHARTS), default="picture")
    parser.add_argument("--json", type=Path, default=Path("/tmp/whisper-viz-toggle-latency.json"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs = []
    with tempfile.TemporaryDirectory() as folder, app_server() as server, sync_playwright() as playwright:
        clip = _clip(Path(folder))
        browser = launch_chromium(playwright)
        for i in range(args.runs):
            run = _run(browser, server.url, clip, args.toggles, args.chart)
            runs.append(run)
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.0f}" for k, v in run.items() if k.startswith("median")),
                  flush=True)
        browser.close()
    summary = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key.startswith("median")}
    print("median of runs: " + ", ".join(f"{k} {v:.0f}" for k, v in summary.items()))
    args.json.write_text(json.dumps({"clip_seconds": CLIP_SECONDS, "model": "tiny.en", "chart": args.chart, "runs": runs,
                                     "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
