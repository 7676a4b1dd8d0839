"""A model's weights converted to openai-whisper's checkpoint layout, from a CTranslate2 folder, a Hugging Face
folder or a `.pt` file."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..constants import ENGLISH_VOCAB_SIZE, MULTILINGUAL_VOCAB_SIZE
from ..errors import WeightsError
from ..heads import HeadSet
from .ctranslate2 import read_ctranslate2_whisper
from .huggingface import convert_huggingface as read_huggingface_whisper
from .huggingface import tokenizer_from_vocabulary
from .registry import ModelSource, installed_source

# openai .pt checkpoints ship no tokenizer.json: borrow an installed model's by vocabulary size
TOKENIZER_DONORS = {ENGLISH_VOCAB_SIZE: "tiny.en", MULTILINGUAL_VOCAB_SIZE: "base"}


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """Converted weights in openai-whisper's layout plus what decoding needs from the config."""

    dims: dict  # ModelDimensions fields
    state_dict: dict  # name -> tensor (fp16 or fp32)
    alignment_heads: tuple[tuple[int, int], ...]  # official (layer, head) pairs, () when unknown
    suppress_ids: tuple[int, ...]  # suppressed at every step
    suppress_ids_begin: tuple[int, ...]  # suppressed at the first sampled step


def _read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise WeightsError(f"Cannot read {path}: {e}") from e


def _config_ids(config: dict, key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in config.get(key, ()))


def convert_ctranslate2(source: ModelSource) -> Checkpoint:
    try:
        data = b"".join(p.read_bytes() for p in source.weights)
    except OSError as e:
        raise WeightsError(f"Cannot read {source.weights[0]}: {e}") from e
    dims, state_dict = read_ctranslate2_whisper(data, what=str(source.weights[0]))
    config = _read_config(source.config)
    heads = tuple((int(l), int(h)) for l, h in config.get("alignment_heads", ()))
    return Checkpoint(dims, state_dict, heads, _config_ids(config, "suppress_ids"),
                      _config_ids(config, "suppress_ids_begin"))


def convert_openai(source: ModelSource) -> tuple[Checkpoint, Path]:
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


def convert_huggingface(source: ModelSource, tokenizer_dir: Path) -> tuple[Checkpoint, Path]:
    """A transformers Whisper folder; without tokenizer.json its vocabulary files are turned into one in tokenizer_dir."""
    folder = Path(source.name).expanduser()
    dims, state_dict, heads, generation = read_huggingface_whisper(folder)
    tokenizer = source.tokenizer if source.tokenizer.is_file() else tokenizer_from_vocabulary(folder, tokenizer_dir)
    # no alignment_heads: openai-whisper's default (upper half), not another model's table
    result = Checkpoint(dims, state_dict, heads, _config_ids(generation, "suppress_tokens"),
                        _config_ids(generation, "begin_suppress_tokens"))
    return result, tokenizer


def official_model_name(dims: dict) -> str | None:
    """The official model whose decoder shape and vocabulary match `dims` (large-v1 reads as large-v2)."""
    shape = (int(dims["n_text_layer"]), int(dims["n_text_head"]))
    english_only = int(dims["n_vocab"]) == ENGLISH_VOCAB_SIZE
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
