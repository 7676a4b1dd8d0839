"""An independent reference aligner for read speech that ships without word times: pocketsphinx.

pocketsphinx (CMU Sphinx, an HMM/GMM recogniser with its own US-English acoustic model and CMUdict) aligns a
known transcript to the audio in 10 ms frames. It shares nothing with Whisper, so its times can judge Whisper's.
`check` measures it against hand-labelled words (precision in SOURCES.md).

    pip install pocketsphinx
    python bench/accuracy/real/pocketsphinx_align.py check     # its error against the human-timed clips
"""

from __future__ import annotations

import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 16000
FRAME_SECONDS = 0.01  # pocketsphinx's frame
FILLERS = ("<s>", "</s>", "<sil>", "(NULL)")


@lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder, get_model_path  # noqa: PLC0415

    model = Path(get_model_path()) / "en-us"
    return Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"), samprate=RATE,
                   loglevel="FATAL", bestpath=False)


def spoken_form(text: str) -> list[tuple[str, list[str]]]:
    """(word as written, its CMUdict keys) for each word: lower case, letters and apostrophes, split at hyphens."""
    out = []
    for word in text.split():
        keys = [re.sub(r"[^a-z']", "", part).strip("'") for part in word.lower().split("-")]
        keys = [k for k in keys if k]
        if keys:
            out.append((word, keys))
    return out


def align_words(samples: np.ndarray, text: str, rate: int = RATE) -> list[dict]:
    """[{"word", "start", "end"}] in seconds for every word of `text`; ValueError if a word is not in CMUdict
    or the alignment fails."""
    samples = np.asarray(samples, np.float32)
    if rate != RATE:
        samples = soxr.resample(samples, rate, RATE)
    words = spoken_form(text)
    decoder = _decoder()
    missing = [key for _, keys in words for key in keys if decoder.lookup_word(key) is None]
    if missing:
        raise ValueError(f"not in CMUdict: {missing}")
    decoder.set_align_text(" ".join(key for _, keys in words for key in keys))
    decoder.start_utt()
    decoder.process_raw((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    segments = [s for s in decoder.seg() or () if s.word not in FILLERS and not s.word.startswith(("[", "+"))]
    if len(segments) != sum(len(keys) for _, keys in words):
        raise ValueError(f"aligned {len(segments)} parts of {len(words)} words")
    out, first = [], 0
    for written, keys in words:  # a hyphenated word spans its parts
        last = first + len(keys) - 1
        out.append(dict(word=written, start=round(segments[first].start_frame * FRAME_SECONDS, 3),
                        end=round((segments[last].end_frame + 1) * FRAME_SECONDS, 3)))
        first = last + 1
    return out


def check() -> None:
    """pocketsphinx against every human-timed English word of the real set."""
    here = Path(__file__).resolve().parent
    for kind in ("read", "spontaneous"):
        errors, failed, clips = [], 0, 0
        for clip in json.loads((here / "sources.json").read_text()):
            if clip["language"] != "en" or clip["kind"] != kind or not clip["timing"].startswith("human"):
                continue
            words = [w for w in clip["words"] if len(w["word"].split()) == 1]
            samples, rate = sf.read(here / clip["file"], dtype="float32")
            try:
                aligned = align_words(samples, " ".join(w["word"] for w in words), rate)
            except ValueError:
                failed += 1
                continue
            clips += 1
            errors += [a[key] - w[key] for a, w in zip(aligned, words) for key in ("start", "end")
                       if w[key] is not None]
        size = np.abs(errors)
        print(f"{kind}: {clips} clips aligned ({failed} not: out-of-vocabulary words or no path), "
              f"{len(size)} human boundaries: MAE {size.mean() * 1000:.0f} ms, median {np.median(size) * 1000:.0f} ms, "
              f"within 20/50/100 ms {(size <= .02).mean():.0%} / {(size <= .05).mean():.0%} / {(size <= .1).mean():.0%}")


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    check() if sys.argv[1:] == ["check"] else print(__doc__)
