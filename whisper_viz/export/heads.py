"""Write a head set where each ecosystem reads its alignment heads.

  huggingface   generation_config.json's "alignment_heads" ([[layer, head], ...]): transformers'
                `return_token_timestamps` and the ASR pipeline's word timestamps use it
  ctranslate2   config.json's "alignment_heads" (same list): faster-whisper's `word_timestamps=True`
  openai        the base85 dump openai-whisper's `model.set_alignment_heads` takes
Existing files keep every other key; a folder means the file of that name inside it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import ExportError, HeadSetError
from ..heads import HeadSet
from ..weights.huggingface import read_json_object

HEAD_FORMATS = {"huggingface": "generation_config.json", "ctranslate2": "config.json", "openai": None}
ALIGNMENT_HEADS_KEY = "alignment_heads"


def heads_list(heads: HeadSet) -> list[list[int]]:
    """[[layer, head], ...] in layer-major order, as both JSON configs hold them."""
    return [[layer, head] for layer, head in heads.pairs()]


def decoder_shape_of_folder(folder: Path) -> tuple[int, int] | None:
    """(decoder layers, heads) from a transformers Whisper config.json in `folder`, else None."""
    try:
        config = json.loads((folder / "config.json").read_text())
        return int(config["decoder_layers"]), int(config["decoder_attention_heads"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_alignment_heads(heads: HeadSet, target: str | os.PathLike, format: str) -> Path:
    """Put `heads` into the JSON config of `format` at `target` (a file, or a model folder); returns the file.

    For a Hugging Face folder the set must fit its decoder (config.json's decoder_layers x decoder_attention_heads).
    """
    if format not in HEAD_FORMATS or HEAD_FORMATS[format] is None:
        raise ExportError(f"unknown config format {format!r}; use huggingface or ctranslate2 (or openai for a dump)")
    if heads.is_empty:
        raise HeadSetError("the head set is empty: select at least one head to export")
    path = Path(target).expanduser()
    folder = path if path.is_dir() else None
    if folder is not None:
        path = folder / HEAD_FORMATS[format]
        shape = decoder_shape_of_folder(folder) if format == "huggingface" else None
        if shape is not None and shape != heads.shape:
            raise HeadSetError(f"the head set is for a decoder of {heads.shape[0]} layers x {heads.shape[1]} heads but "
                               f"{folder} holds one of {shape[0]} x {shape[1]}; export the set of that model.")
    advice = "fix or remove the file to add the heads to it"
    config = read_json_object(path, ExportError, advice) if path.is_file() else {}
    config[ALIGNMENT_HEADS_KEY] = heads_list(heads)
    _write_atomically(path, json.dumps(config, indent=2) + "\n")
    return path


def export_heads(heads: HeadSet, format: str, target: str | os.PathLike | None = None) -> str:
    """Export in `format` (see HEAD_FORMATS); returns the written file's path, or for "openai" the dump
    (also written to `target` when given)."""
    if format == "openai":
        dump = heads.to_dump().decode("ascii")
        if target is not None:
            _write_atomically(Path(target).expanduser(), dump + "\n")
        return dump
    if target is None:
        raise ExportError(f"give the {HEAD_FORMATS.get(format) or 'config'} file or model folder to write the heads into")
    return str(write_alignment_heads(heads, target, format))


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from e
