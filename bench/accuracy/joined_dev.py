"""Dev clips joined into recordings of 30-100 s: how the aligners cope with several 30 s windows.

The real-speech dev split holds no clip longer than one Whisper window, so nothing tuned on it ever met a
window edge or a recording whose level changes. This joins the dev clips of one source (0.3 s of digital
silence between them) and scores reference and tuned on the joined recording against the clips' own
boundaries, next to the same clips scored alone. Dev only: it decides nothing about the test split.

    python bench/accuracy/joined_dev.py --model base
    python bench/accuracy/joined_dev.py --model base --one-threshold   # one voicing threshold per recording
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
from analyses import cached_analysis, language_for  # noqa: E402
from dataset import load_real  # noqa: E402

from whisper_viz.alignment import voicing  # noqa: E402
from whisper_viz.alignment.presets import align_words  # noqa: E402
from whisper_viz.constants import SAMPLE_RATE  # noqa: E402
from whisper_viz.engine.audio import load_audio  # noqa: E402
from whisper_viz.engine.loading import load_model  # noqa: E402
from whisper_viz.evaluation.metrics import boundary_errors, summarize  # noqa: E402
from whisper_viz.evaluation.references import ReferenceWord  # noqa: E402

GAP_SECONDS = 0.3  # digital silence between joined clips (under the silence cut's 1 s)
GROUPS = {  # name -> (source, clips taken): English read and telephone speech, three other languages
    "LJ Speech": ("ljspeech", 9), "WUW telephone": ("wuw", 12), "Mandarin": ("sppas_zh", 4),
    "German": ("sppas_de", 2), "Spanish": ("sppas_es", 2)}
PRESETS = ("reference", "tuned")
SPACELESS = ("zh", "ja")  # transcripts joined without a space


def joined(clips) -> tuple[np.ndarray, list[ReferenceWord], str]:
    """(float32 audio, reference words moved to their place in it, transcript) of `clips` one after another."""
    audio, words, texts, at = [], [], [], 0.0
    gap = np.zeros(round(GAP_SECONDS * SAMPLE_RATE), np.float32)
    for clip in clips:
        samples = load_audio(clip.path)
        audio += [samples, gap]
        words += [ReferenceWord(w.word, w.start + at, w.end + at) for w in clip.words]
        texts.append(clip.text)
        at += (len(samples) + len(gap)) / SAMPLE_RATE
    joiner = "" if clips[0].language.split("-")[0] in SPACELESS else " "
    return np.concatenate(audio), words, joiner.join(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--one-threshold", action="store_true",
                        help="one voicing threshold per recording (as before voicing.LOCAL_SECONDS)")
    args = parser.parse_args()
    if args.one_threshold:
        voicing.LOCAL_SECONDS = 1e6  # longer than any recording
    model = load_model(args.model)
    dev = load_real("dev")
    print("| recording | seconds | mode | windows | reference joined / alone ms | tuned joined / alone ms | edges |")
    print("|---|---:|---|---:|---|---|---:|")
    pooled: dict[tuple[str, str, str], list] = {}
    for name, (source, count) in GROUPS.items():
        clips = [c for c in dev if c.source == source][:count]
        if not clips or (not model.is_multilingual and not clips[0].language.startswith("en")):
            continue
        audio, words, text = joined(clips)
        language = language_for(model, clips[0].language)
        for mode in ("recognition", "forced"):
            result = cached_analysis(model, audio, mode, text, language)
            if result is None:
                print(f"| {name} | {len(audio) / SAMPLE_RATE:.0f} | {mode} | refused | | | |")
                continue
            cells = []
            for preset in PRESETS:
                together = boundary_errors(align_words(result, preset=preset), words)
                alone = [boundary_errors(align_words(r, preset=preset), c.words, c.after_pause) for c in clips
                         if (r := cached_analysis(model, load_audio(c.path), mode, c.text, language)) is not None]
                pooled.setdefault((preset, mode, "joined"), []).append(together)
                pooled.setdefault((preset, mode, "alone"), []).extend(alone)
                cells.append(f"{summarize([together]).mae * 1000:.0f} / {summarize(alone).mae * 1000:.0f}")
            print(f"| {name} | {len(audio) / SAMPLE_RATE:.0f} | {mode} | {len(result.windows)} | {cells[0]} | "
                  f"{cells[1]} | {summarize([together]).boundaries} |")
    for mode in ("recognition", "forced"):
        figures = {key: summarize(pooled[key]).mae * 1000 for key in pooled if key[1] == mode}
        print(f"\nAll joined, {mode}: reference {figures[('reference', mode, 'joined')]:.0f} ms, tuned "
              f"{figures[('tuned', mode, 'joined')]:.0f} ms (alone: {figures[('reference', mode, 'alone')]:.0f} / "
              f"{figures[('tuned', mode, 'alone')]:.0f} ms)")


if __name__ == "__main__":
    main()
