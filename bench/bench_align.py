"""Speed of a head toggle: align_window on 150 tokens x 1500 frames x 144 heads (small's 12 x 12).

Target: one toggle (masked mean of cached per-head matrices + DTW + words) <= 20 ms on CPU.
Also times openai-whisper's own pipeline (std_mean, median_filter, mean, dtw) on the same data,
which recomputes every selected head on each call.

    python bench/bench_align.py [--runs 50] [--tokens 150] [--frames 1500]
"""

import argparse
import statistics
import time

import numpy as np

from whisper_viz.alignment.options import AlignmentOptions
from whisper_viz.alignment.window import align_window, clear_cache
from whisper_viz.heads import HeadSet
from whisper_viz.results import Token, WindowCapture

TARGET_MS = 20.0
SHAPE = (12, 12)  # small / small.en decoder: layers x heads


def realistic_capture(n_tokens: int, n_frames: int, seed: int = 0) -> WindowCapture:
    """float16 attention that walks forward in time (bumps + noise), softmaxed over frames."""
    rng = np.random.default_rng(seed)
    n_rows = n_tokens + 1  # text tokens + end-of-text
    centres = np.sort(rng.uniform(0, n_frames, n_rows)).astype(np.float32)
    frames = np.arange(n_frames, dtype=np.float32)
    attention = np.empty((*SHAPE, n_rows, n_frames), np.float16)  # (layers, heads, tokens, frames)
    for layer in range(SHAPE[0]):
        for head in range(SHAPE[1]):
            width = rng.uniform(2, 30)
            logits = -(((frames - centres[:, None] - rng.normal(0, 5)) / width) ** 2)
            logits += rng.normal(0, 1.0, logits.shape).astype(np.float32)
            logits -= logits.max(-1, keepdims=True)
            probs = np.exp(logits)
            attention[layer, head] = probs / probs.sum(-1, keepdims=True)
    words = [f" w{i}".encode() if i % 3 == 0 else f"x{i}".encode() for i in range(n_tokens)]
    tokens = tuple(Token(100 + i, raw.decode(), raw, float(rng.uniform(0.5, 1))) for i, raw in enumerate(words))
    tokens += (Token(50256, "<|endoftext|>", b"", 0.9, special=True),)
    return WindowCapture(0, 0.0, n_frames, attention, tokens, (50257,), "", "en", 0.0)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=150)
    parser.add_argument("--frames", type=int, default=1500)
    args = parser.parse_args()

    capture = realistic_capture(args.tokens, args.frames)
    official = HeadSet.official("small.en")
    options = AlignmentOptions()
    align_window(capture, official, options)  # numba compile (cached on disk after the first run)

    clear_cache()
    start = time.perf_counter()
    align_window(capture, official, options)
    cold_official = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    align_window(capture, "all", options)
    cold_all = (time.perf_counter() - start) * 1000

    rng = np.random.default_rng(1)
    toggles = [official.toggle(int(rng.integers(12)), int(rng.integers(12))) for _ in range(args.runs)]
    for heads in toggles:  # warm-up: every toggled head computed once
        align_window(capture, heads, options)
    it = iter(toggles * 2)
    toggle_ms = median_ms(lambda: align_window(capture, next(it), options), args.runs)
    all_ms = median_ms(lambda: align_window(capture, "all", options), args.runs)
    raw_ms = median_ms(lambda: align_window(capture, official, AlignmentOptions(postprocess=False)), args.runs)

    print(f"capture: {args.tokens} tokens x {args.frames} frames x {SHAPE[0] * SHAPE[1]} heads (float16)")
    print(f"cold cache, official small.en heads ({len(official)}):   {cold_official:8.1f} ms (once per capture)")
    print(f"cold cache, all remaining heads:                 {cold_all:8.1f} ms (once per capture)")
    verdict = "PASS" if toggle_ms <= TARGET_MS else "FAIL"
    print(f"toggle (official +/- 1 head), median of {args.runs}:   {toggle_ms:8.2f} ms  {verdict} (target {TARGET_MS:.0f} ms)")
    verdict = "PASS" if all_ms <= TARGET_MS else "FAIL"
    print(f"all 144 heads selected, median of {args.runs}:        {all_ms:8.2f} ms  {verdict} (target {TARGET_MS:.0f} ms)")
    print(f"official heads, postprocess off:                 {raw_ms:8.2f} ms")

    try:
        import torch
        import whisper.timing as reference
    except ImportError:
        print("openai-whisper not installed: reference timing skipped")
        return
    weights = torch.from_numpy(capture.attention.astype(np.float32))[torch.from_numpy(official.mask.copy())]

    def openai_pipeline():
        w = weights / weights.sum(-1, keepdim=True)  # (heads, tokens, frames)
        std, mean = torch.std_mean(w, dim=-2, keepdim=True, unbiased=False)
        w = reference.median_filter((w - mean) / std, options.medfilt_width)
        return reference.dtw(-w.mean(axis=0))

    openai_pipeline()
    print(f"openai-whisper median_filter + dtw, official heads: {median_ms(openai_pipeline, max(5, args.runs // 5)):8.1f} ms")


if __name__ == "__main__":
    main()
