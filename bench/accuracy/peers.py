"""The peers, timed on the same weights: openai-whisper and faster-whisper with `word_timestamps=True`.

Both recognise (neither can teacher-force a transcript); both get the clip's language when the model is
multilingual. A peer's words become `PeerWord`s so one scorer (whisper_viz.evaluation.metrics) reads every system.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from whisper_viz.engine.audio import load_audio
from whisper_viz.engine.loading import LoadedModel
from whisper_viz.heads import HeadSet


def openai_transcriber(model: LoadedModel):
    """openai-whisper's transcribe on our converted weights with the official heads."""
    import whisper
    from whisper.model import ModelDimensions, Whisper

    reference = Whisper(ModelDimensions(**model.dims.to_dict()))
    reference.load_state_dict({k: v.float() for k, v in model.model.state_dict().items() if k != "alignment_heads"})
    reference.set_alignment_heads(HeadSet(model.official_heads).to_dump())
    reference = reference.eval()

    def run(path: Path, language: str | None = None):
        audio = load_audio(path)  # the same 16 kHz samples every system gets (openai-whisper's own reader needs ffmpeg)
        out = whisper.transcribe(reference, audio, word_timestamps=True, temperature=0.0, fp16=False,
                                 beam_size=None, verbose=None, language=language or "en")
        return [w for s in out["segments"] for w in s.get("words", [])]

    return run


def faster_transcriber(model: LoadedModel, threads: int, workdir: Path):
    """faster-whisper on the model's CTranslate2 folder (a split model.bin is joined in `workdir`)."""
    from faster_whisper import WhisperModel

    folder = model.source.weights[0].parent
    if len(model.source.weights) > 1:
        joined = workdir / model.name
        joined.mkdir(parents=True, exist_ok=True)
        with open(joined / "model.bin", "wb") as out:
            for part in model.source.weights:
                out.write(part.read_bytes())
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (joined / name).write_bytes((folder / name).read_bytes())
        folder = joined
    fw = WhisperModel(str(folder), device="cpu", compute_type="float32", cpu_threads=threads)

    def run(path: Path, language: str | None = None):
        segments, _ = fw.transcribe(load_audio(path), beam_size=1, temperature=0.0, word_timestamps=True,
                                    vad_filter=False, language=language or "en")
        return [w for s in segments for w in (s.words or [])]

    return run


CACHE = Path(__file__).resolve().parents[1] / "out" / "peers"


def cached(run: Callable, model: str, peer: str) -> Callable:
    """`run(path, language)` whose words are kept on disk by the clip's content, so a re-run is quick."""
    def cached_run(path: Path, language: str | None = None) -> list["PeerWord"]:
        key = hashlib.sha256(Path(path).read_bytes() + f"|{language}".encode()).hexdigest()[:24]
        file = CACHE / model / peer / f"{key}.json"
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            words = [PeerWord(w) for w in run(path, language)]
            file.write_text(json.dumps([[w.word, w.start, w.end] for w in words]))
        return [PeerWord(dict(word=w, start=a, end=b)) for w, a, b in json.loads(file.read_text())]
    return cached_run


class PeerWord:
    """A peer's word as (word, start, end), so one scorer reads every system."""

    def __init__(self, word):
        if isinstance(word, dict):
            self.word, self.start, self.end = word["word"], float(word["start"]), float(word["end"])
        else:
            self.word, self.start, self.end = word.word, float(word.start), float(word.end)
