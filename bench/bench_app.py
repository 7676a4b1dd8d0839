"""App figures on a 30 s clip: payload sizes and server-side toggle time, per model.

    python bench/bench_app.py [--models tiny.en base] [--clip tests/data/long45.flac] [--seconds 30]

For each model: analyse the first `--seconds` of the clip, then report the JSON bytes the browser receives
for the focused heatmap (window 0, official heads: the plotly figure's JSON and the SVG picture the page shows
by default) and the head mosaic, and the time one head toggle costs on the server (align every window + build
the mosaic and the heatmap, as figure or as picture), median of several toggles. The browser side of a
toggle is measured by tests/e2e/test_browser.py (toggle_latency.json).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from whisper_viz import load_model
from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.presets import align_words
from whisper_viz.alignment.window import align_window, head_matrices
from whisper_viz.constants import SAMPLE_RATE
from whisper_viz.engine.analysis import analyze
from whisper_viz.engine.audio import load_audio
from whisper_viz.figures.attention import (
    THUMB_COLUMNS,
    THUMB_ROWS,
    attention_heatmap,
    downsample,
    head_mosaic,
    mosaic_png,
)
from whisper_viz.figures.picture import attention_picture
from whisper_viz.figures.render import figure_json
from whisper_viz.heads import HeadSet

REPO = Path(__file__).resolve().parents[1]
TOGGLES = 8


def toggle_cost(result, heads: HeadSet, options: AlignmentOptions, png: bytes, thumbs: np.ndarray) -> tuple:
    """(seconds with the figure, seconds with the picture, heatmap JSON bytes, picture bytes, mosaic JSON bytes)
    of re-aligning and re-drawing for `heads`."""
    started = time.perf_counter()
    words = align_words(result, heads, options=options)
    capture = result.windows[0]
    window = align_window(capture, heads, options)
    drawn = dict(offset=capture.offset, path=(window.text_indices, window.time_indices),
                 words=[w for w in words if w.window == 0], title="A")
    mosaic = figure_json(head_mosaic(thumbs, heads.mask, np.zeros(heads.shape), png=png))
    aligned = time.perf_counter()
    heatmap = figure_json(attention_heatmap(window.matrix, capture.tokens, **drawn))
    figure_done = time.perf_counter()
    picture = attention_picture(window.matrix, capture.tokens, **drawn)
    picture_s = time.perf_counter() - figure_done
    return figure_done - started, aligned - started + picture_s, len(heatmap), len(picture.encode()), len(mosaic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--clip", default=str(REPO / "tests" / "data" / "long45.flac"))
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    audio = load_audio(args.clip)[: int(args.seconds * SAMPLE_RATE)]
    options = AlignmentOptions()
    for name in args.models:
        model = load_model(name, device="cpu")
        result = analyze(model, audio)
        shape = result.shape
        for capture in result.windows:  # the app warms these once per analysis
            head_matrices(capture, HeadSet.all(shape), options)
        every = head_matrices(result.windows[0], HeadSet.all(shape), options)
        small = downsample(np.maximum(every, 0), THUMB_ROWS, THUMB_COLUMNS)
        thumbs = small.reshape(*shape, *small.shape[1:])
        png = mosaic_png(thumbs)
        official = HeadSet(result.alignment_heads)
        costs = []
        for i in range(TOGGLES):
            layer, head = divmod(i % (shape[0] * shape[1]), shape[1])
            costs.append(toggle_cost(result, official.toggle(layer, head), options, png, thumbs))
        seconds, picture_seconds, heatmap_bytes, picture_bytes, mosaic_bytes = zip(*costs)
        capture = result.windows[0]
        print(f"{name}: {result.duration:.1f} s audio, window 0 attention {capture.attention.shape}; "
              f"heatmap {max(heatmap_bytes) / 1e6:.2f} MB, mosaic {max(mosaic_bytes) / 1e6:.2f} MB of JSON, "
              f"heatmap picture {max(picture_bytes) / 1e6:.2f} MB of SVG; server toggle "
              f"{1000 * statistics.median(seconds):.0f} ms with the figure, "
              f"{1000 * statistics.median(picture_seconds):.0f} ms with the picture (median of {TOGGLES})")


if __name__ == "__main__":
    main()
