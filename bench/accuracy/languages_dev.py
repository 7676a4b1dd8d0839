"""Other-language clips of the real-speech split: the reference and tuned aligners (and tuned variants), per language.

    python bench/accuracy/languages_dev.py          # dev split (what decides); `test` only to report
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from analyses import clip_analysis
from dataset import load_real

from whisper_viz.alignment.presets import align_words
from whisper_viz.alignment.tuned import align_tuned
from whisper_viz.engine.loading import load_model
from whisper_viz.evaluation.metrics import boundary_errors, summarize

split = sys.argv[1] if len(sys.argv) > 1 else "dev"
model = load_model("base")
clips = [c for c in load_real(split) if c.kind == "other language"]
variants = {
    "reference": lambda r: align_words(r, preset="reference"),
    "tuned": lambda r: align_words(r, preset="tuned"),
    "tuned/official heads lag0": lambda r: align_tuned(r, heads="official", lags={}, lag_offset=0),
    "tuned/official heads": lambda r: align_tuned(r, heads="official", lags={}),
    "tuned no min dur": lambda r: align_tuned(r, min_seconds_per_letter=0.0),
    "tuned no max": lambda r: align_tuned(r, max_word_seconds=0.0),
    "tuned lag_offset0": lambda r: align_tuned(r, lag_offset=0),
}
for mode in ("recognition", "forced"):
    scored = {k: {} for k in variants}
    for clip in clips:
        r = clip_analysis(model, clip, mode)
        if r is None:
            continue
        for k, f in variants.items():
            scored[k].setdefault(clip.language, []).append(boundary_errors(f(r), clip.words, clip.after_pause))
    for k, by_lang in scored.items():
        allc = [e for v in by_lang.values() for e in v]
        s = summarize(allc)
        per = " ".join(f"{lang}:{summarize(v).mae*1000:.0f}/{summarize(v).boundaries}" for lang, v in sorted(by_lang.items()))
        print(f"{mode:12s} {k:28s} MAE {s.mae*1000:5.0f} n={s.boundaries:4d}  {per}")
