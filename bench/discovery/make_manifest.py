"""Write the discovery manifest of the synthetic accuracy corpus: one JSONL line per clip with its audio path
(relative to this folder), transcript, exact word timings and split (train: chooses heads, held_out: measures
them). Run after bench/accuracy/make_dataset.py:  python bench/discovery/make_manifest.py
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "accuracy" / "data"
SPLITS = {"train": "train", "test": "held_out"}  # dataset folder -> discovery split
MANIFEST = HERE / "synthetic.jsonl"


def manifest_lines() -> list[dict]:
    lines = []
    for folder, split in SPLITS.items():
        for clip in json.loads((DATA / folder / "manifest.json").read_text())["clips"]:
            words = [{"word": w["word"], "start": round(w["start"], 6), "end": round(w["end"], 6)} for w in clip["words"]]
            audio = (DATA / folder / clip["file"]).relative_to(HERE.parent)
            lines.append({"id": clip["id"], "audio": f"../{audio}", "text": clip["text"], "split": split,
                          "words": words})
    return lines


if __name__ == "__main__":
    lines = manifest_lines()
    MANIFEST.write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(f"wrote {len(lines)} clips to {MANIFEST}")
