"""Generate the word-boundary accuracy dataset: speech whose every word start and end is known exactly.

    python bench/accuracy/make_dataset.py            # rewrites bench/accuracy/data/{train,test}

Each word is synthesized on its own with espeak-ng (voice and speed per clip), resampled to
16 kHz, quantized to int16 and trimmed to its first and last sample at or above
TRIM_THRESHOLD: that trimmed span is the word's true [start, end). Words are joined with
seeded gaps (some zero, so words touch), sentences with longer gaps; some clips get a seeded
Gaussian noise floor and a gain, which leave the truth unchanged. "Pause" clips join two
sentences with a long silence (2, 7 or 13 s) so alignment across pauses can be scored.

Output per split: CLIP.flac (16 kHz, 16-bit) and manifest.json with, per clip, the transcript
and every word's true start/end in seconds (exact multiples of 1/16000). Deterministic: same
espeak-ng version, same files (the RNG is seeded, and soxr's resampler is deterministic).
"""

import argparse
import itertools
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SAMPLE_RATE = 16000  # Hz
SEED = 20240917
TRIM_THRESHOLD = 10 ** (-50 / 20)  # |sample| at or above -50 dBFS counts as voiced
VOICES = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-us+f3", "en-us+m3", "en-029", "en-us+klatt")
SPEEDS_WPM = (135, 155, 175, 200)  # espeak-ng words per minute
WORD_GAP_SECONDS = ((0.30, 0.0, 0.0), (0.50, 0.02, 0.12), (0.20, 0.15, 0.40))  # (share, low, high)
SENTENCE_GAP_SECONDS = (0.30, 0.70)
LEAD_SECONDS = (0.15, 0.9)  # silence before the first word
TAIL_SECONDS = (0.3, 0.8)  # silence after the last word
NOISE_DBFS = (-78.0, -64.0)  # noise floor level range (RMS, dBFS) for clips that get one
NOISE_SHARE = 0.5  # share of clips with a noise floor
GAIN_DB = (-10.0, 0.0)
PAUSE_SECONDS = (2.0, 7.0, 13.0)
N_WORD_CLIPS = 16  # per split
PAUSE_CLIPS_PER_DURATION = {"train": 1, "test": 2}

SENTENCES = (
    "The old man walked slowly down the narrow street.",
    "She bought fresh bread and cheese at the market.",
    "Our train was late again this morning.",
    "Please close the window before you leave the room.",
    "The children played football in the park until dark.",
    "He forgot his umbrella, so he got very wet.",
    "A small boat drifted across the quiet lake.",
    "We need more paper for the printer upstairs.",
    "The museum opens early on Sunday mornings.",
    "My sister plays the violin in a city orchestra.",
    "Turn left at the bridge and follow the river.",
    "The kitchen smelled of coffee and warm toast.",
    "Every winter the birds fly south to find food.",
    "They painted the fence a bright shade of green.",
    "The doctor asked him to breathe in deeply.",
    "Can you hear the music coming from next door?",
    "The storm knocked down several trees last night.",
    "I left my keys on the table by the door.",
    "The teacher wrote a long question on the board.",
    "Fresh snow covered the mountains in the morning.",
    "He carried the heavy boxes up the stairs.",
    "The library is quiet during the summer holidays.",
    "Our neighbors have a friendly brown dog.",
    "She answered the phone after the third ring.",
    "The bakery sells cakes, pies and cookies.",
    "We watched the sunset from the top of the hill.",
    "The engine made a strange noise on the highway.",
    "Would you like some tea or a glass of water?",
    "The farmer planted corn along the eastern field.",
    "Most shops in the village close early.",
    "The pilot announced that we would land soon.",
    "Their garden is full of roses and tall sunflowers.",
    "The students listened carefully to the speaker.",
    "A cold wind blew across the empty beach.",
    "The soup needs a little more salt and pepper.",
    "He repaired the bicycle with an old wrench.",
    "The city council met to discuss the new park.",
    "Rain is expected later this afternoon.",
    "She read the letter twice before she smiled.",
    "The clock on the tower struck midnight.",
    "We found a quiet table near the back window.",
    "The painter mixed blue and yellow to make green.",
    "Nobody knew where the old map had gone.",
    "The bus stops right outside the hospital.",
    "My brother builds model ships in his spare time.",
    "The river flooded the fields after the heavy rain.",
    "Bring a warm coat because the nights are cold.",
    "The actors bowed as the audience stood and cheered.",
    "The market was crowded with tourists and traders.",
    "He planted a young apple tree behind the house.",
)


def synthesize_word(word: str, voice: str, speed: int, workdir: Path) -> np.ndarray:
    """One word spoken by espeak-ng: int16 (samples,) at 16 kHz, trimmed to its voiced span."""
    wav = workdir / "word.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", "50", "-a", "100", "-w", str(wav), word],
                   check=True, capture_output=True)
    audio, rate = sf.read(wav, dtype="float32")
    audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ")
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    voiced = np.flatnonzero(np.abs(pcm.astype(np.float32) / 32768) >= TRIM_THRESHOLD)
    if voiced.size == 0:
        raise RuntimeError(f"espeak-ng produced silence for {word!r} ({voice})")
    return pcm[voiced[0]: voiced[-1] + 1]


def spoken_form(token: str) -> str:
    """The word as espeak-ng should say it: punctuation stripped."""
    return token.strip(".,?!;:\"'")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SAMPLE_RATE)), np.int16)


def gap_seconds(rng: np.random.Generator) -> float:
    shares = [g[0] for g in WORD_GAP_SECONDS]
    _, low, high = WORD_GAP_SECONDS[rng.choice(len(WORD_GAP_SECONDS), p=shares)]
    return float(rng.uniform(low, high)) if high > 0 else 0.0


def build_clip(sentences: list[str], voice: str, speed: int, rng: np.random.Generator, workdir: Path,
               pause: float | None = None) -> tuple[np.ndarray, list[dict]]:
    """Join the words of `sentences` with seeded gaps. Returns int16 audio and the true word spans."""
    pieces = [silence(rng.uniform(*LEAD_SECONDS))]
    cursor = len(pieces[0])
    words = []
    for s, sentence in enumerate(sentences):
        if s:
            between = pause if pause is not None else rng.uniform(*SENTENCE_GAP_SECONDS)
            pieces.append(silence(between))
            cursor += len(pieces[-1])
        for w, token in enumerate(sentence.split()):
            if w:
                pieces.append(silence(gap_seconds(rng)))
                cursor += len(pieces[-1])
            pcm = synthesize_word(spoken_form(token), voice, speed, workdir)
            words.append({"word": token, "start_sample": cursor, "end_sample": cursor + len(pcm), "sentence": s})
            pieces.append(pcm)
            cursor += len(pcm)
    pieces.append(silence(rng.uniform(*TAIL_SECONDS)))
    return np.concatenate(pieces), words


def finish(pcm: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Apply a seeded gain and (for some clips) a Gaussian noise floor; the word spans are unchanged."""
    gain_db = float(rng.uniform(*GAIN_DB))
    audio = pcm.astype(np.float64) / 32768 * 10 ** (gain_db / 20)
    noise_db = float(rng.uniform(*NOISE_DBFS)) if rng.random() < NOISE_SHARE else None
    if noise_db is not None:
        audio = audio + rng.standard_normal(len(audio)) * 10 ** (noise_db / 20)
    out = np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)
    return out, {"gain_db": round(gain_db, 2), "noise_dbfs": None if noise_db is None else round(noise_db, 2)}


def make_split(name: str, sentences: list[str], out_dir: Path, rng: np.random.Generator, workdir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.flac"):
        old.unlink()
    clips = []
    order = itertools.cycle(sentences)  # each sentence once before any repeats
    for i in range(N_WORD_CLIPS):
        chosen = [next(order)]
        if i % 3 == 1:  # every third clip holds two sentences
            chosen.append(next(order))
        voice, speed = VOICES[i % len(VOICES)], SPEEDS_WPM[int(rng.integers(len(SPEEDS_WPM)))]
        pcm, words = build_clip(chosen, voice, speed, rng, workdir)
        clips.append(_write(out_dir, f"{name}_words_{i:02d}", pcm, words, chosen, voice, speed, None, rng))
    k = 0
    for pause in PAUSE_SECONDS:
        for _ in range(PAUSE_CLIPS_PER_DURATION[name]):
            chosen = [next(order), next(order)]
            voice, speed = VOICES[(k + 3) % len(VOICES)], SPEEDS_WPM[int(rng.integers(len(SPEEDS_WPM)))]
            pcm, words = build_clip(chosen, voice, speed, rng, workdir, pause=pause)
            clips.append(_write(out_dir, f"{name}_pause{pause:g}_{k:02d}", pcm, words, chosen, voice, speed, pause, rng))
            k += 1
    manifest = {"sample_rate": SAMPLE_RATE, "split": name, "generator": "bench/accuracy/make_dataset.py",
                "trim_threshold_dbfs": -50, "clips": clips}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{name}: {len(clips)} clips, {sum(len(c['words']) for c in clips)} words, "
          f"{sum(c['duration'] for c in clips):.1f} s")


def _write(out_dir, clip_id, pcm, words, sentences, voice, speed, pause, rng) -> dict:
    audio, extras = finish(pcm, rng)
    sf.write(out_dir / f"{clip_id}.flac", audio, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
    return {"id": clip_id, "file": f"{clip_id}.flac", "text": " ".join(sentences), "voice": voice, "speed_wpm": speed,
            "pause_seconds": pause, "duration": len(audio) / SAMPLE_RATE, **extras,
            "words": [{"word": w["word"], "start": w["start_sample"] / SAMPLE_RATE, "end": w["end_sample"] / SAMPLE_RATE,
                       **w} for w in words]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    half = len(SENTENCES) // 2  # train and test never share a sentence
    with tempfile.TemporaryDirectory() as tmp:
        make_split("train", list(SENTENCES[:half]), args.out / "train", rng, Path(tmp))
        make_split("test", list(SENTENCES[half:]), args.out / "test", rng, Path(tmp))


if __name__ == "__main__":
    main()
