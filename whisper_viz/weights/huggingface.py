"""Reader for Hugging Face transformers Whisper folders: config.json, generation_config.json, safetensors weights.

Only safetensors files are read (a pickled `pytorch_model.bin` can run code when loaded). Weights are renamed
to openai-whisper's layout; the decoder may have fewer layers than the encoder (distilled models), and
`generation_config.json`'s `alignment_heads` become the model's official heads when present.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WeightsError, WhisperVizError

if TYPE_CHECKING:
    import torch

CONFIG = "config.json"
GENERATION_CONFIG = "generation_config.json"
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PICKLED_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
SUPPORTED_ACTIVATIONS = ("gelu",)  # the encoder and decoder MLPs of every released Whisper

# HF name (after the "model." prefix) -> openai-whisper name; {i} is the layer number
_BLOCK_NAMES = {
    "self_attn.q_proj": "attn.query", "self_attn.k_proj": "attn.key", "self_attn.v_proj": "attn.value",
    "self_attn.out_proj": "attn.out", "self_attn_layer_norm": "attn_ln",
    "encoder_attn.q_proj": "cross_attn.query", "encoder_attn.k_proj": "cross_attn.key",
    "encoder_attn.v_proj": "cross_attn.value", "encoder_attn.out_proj": "cross_attn.out",
    "encoder_attn_layer_norm": "cross_attn_ln",
    "fc1": "mlp.0", "fc2": "mlp.2", "final_layer_norm": "mlp_ln",
}
_TOP_NAMES = {
    "encoder.conv1": "encoder.conv1", "encoder.conv2": "encoder.conv2",
    "encoder.embed_positions.weight": "encoder.positional_embedding", "encoder.layer_norm": "encoder.ln_post",
    "decoder.embed_tokens.weight": "decoder.token_embedding.weight",
    "decoder.embed_positions.weight": "decoder.positional_embedding", "decoder.layer_norm": "decoder.ln",
}
_HF_BLOCK = re.compile(r"^(encoder|decoder)\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_OUR_BLOCK = re.compile(r"^(encoder|decoder)\.blocks\.(\d+)\.(.+)\.(weight|bias)$")
_BLOCK_NAMES_BACK = {ours: hf for hf, ours in _BLOCK_NAMES.items()}
_TOP_NAMES_BACK = {ours: hf for hf, ours in _TOP_NAMES.items()}
_UNUSED = ("proj_out.weight",)  # tied to the token embedding


def is_huggingface_folder(folder: Path) -> bool:
    """A folder holding a transformers Whisper config.json (model_type "whisper")."""
    try:
        return json.loads((folder / CONFIG).read_text()).get("model_type") == "whisper"
    except (OSError, ValueError, AttributeError):
        return False


def safetensors_files(folder: Path) -> tuple[Path, ...]:
    """The folder's safetensors weights: model.safetensors, or the shards its index lists, in order."""
    if (folder / SAFETENSORS).is_file():
        return (folder / SAFETENSORS,)
    index = folder / SAFETENSORS_INDEX
    if index.is_file():
        shards = sorted(set(read_json_object(index).get("weight_map", {}).values()))
        missing = [s for s in shards if not (folder / s).is_file()]
        if not shards or missing:
            raise WeightsError(f"{index} lists weight files that are not in {folder}: {missing or 'none at all'}.")
        return tuple(folder / s for s in shards)
    if any((folder / name).is_file() for name in PICKLED_WEIGHTS):
        raise WeightsError(f"{folder} holds only pickled PyTorch weights (pytorch_model.bin), which whisper-viz does "
                           "not load because unpickling can run code. Save the model with safetensors: "
                           "model.save_pretrained(folder, safe_serialization=True).")
    raise WeightsError(f"{folder} has a Whisper config.json but no {SAFETENSORS}; copy the model's safetensors "
                       "weights beside it.")


def dims_from_config(config: dict, what: str) -> dict:
    """openai-whisper ModelDimensions fields from a transformers WhisperConfig dict."""
    try:
        d_model = int(config["d_model"])
        dims = dict(n_mels=int(config.get("num_mel_bins", 80)), n_audio_ctx=int(config.get("max_source_positions", 1500)),
                    n_audio_state=d_model, n_audio_head=int(config["encoder_attention_heads"]),
                    n_audio_layer=int(config["encoder_layers"]), n_vocab=int(config["vocab_size"]),
                    n_text_ctx=int(config.get("max_target_positions", 448)), n_text_state=d_model,
                    n_text_head=int(config["decoder_attention_heads"]), n_text_layer=int(config["decoder_layers"]))
        ffn = (int(config.get("encoder_ffn_dim", 4 * d_model)), int(config.get("decoder_ffn_dim", 4 * d_model)))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{what} is not a complete Whisper config: {e!r} is missing or not a number.") from e
    if ffn != (4 * d_model, 4 * d_model):
        raise WeightsError(f"{what}: MLP widths {ffn} are not 4 x d_model ({4 * d_model}) as in every released "
                           "Whisper; this architecture variant is not supported.")
    activation = config.get("activation_function", "gelu")
    if activation not in SUPPORTED_ACTIVATIONS or config.get("scale_embedding", False):
        raise WeightsError(f"{what}: activation {activation!r} / scale_embedding={config.get('scale_embedding')} "
                           "differ from Whisper's (gelu, no embedding scale); this variant is not supported.")
    if dims["n_audio_layer"] < 1 or dims["n_text_layer"] < 1:
        raise WeightsError(f"{what} has no encoder or no decoder layers.")
    return dims


def openai_name(name: str) -> str | None:
    """openai-whisper's name of a transformers Whisper weight, or None for weights it has no use for."""
    name = name.removeprefix("model.")
    if name in _UNUSED:
        return None
    if name in _TOP_NAMES:
        return _TOP_NAMES[name]
    for hf, ours in _TOP_NAMES.items():
        if name.startswith(hf + "."):
            return ours + name[len(hf):]
    match = _HF_BLOCK.match(name)
    if match is None or match.group(3) not in _BLOCK_NAMES:
        return None
    side, index, module, kind = match.groups()
    return f"{side}.blocks.{index}.{_BLOCK_NAMES[module]}.{kind}"


def huggingface_name(name: str) -> str | None:
    """The inverse of openai_name, with the "model." prefix of WhisperForConditionalGeneration."""
    for ours, hf in _TOP_NAMES_BACK.items():
        if name == ours or name.startswith(ours + "."):
            return "model." + hf + name[len(ours):]
    match = _OUR_BLOCK.match(name)
    if match is None or match.group(3) not in _BLOCK_NAMES_BACK:
        return None
    side, index, module, kind = match.groups()
    return f"model.{side}.layers.{index}.{_BLOCK_NAMES_BACK[module]}.{kind}"


def read_safetensors(files: tuple[Path, ...]) -> dict[str, torch.Tensor]:
    """Every tensor of the safetensors files (no pickle is involved)."""
    from safetensors import SafetensorError  # noqa: PLC0415 - an optional reader until an HF folder is loaded
    from safetensors.torch import load_file  # noqa: PLC0415

    tensors: dict[str, torch.Tensor] = {}
    for path in files:
        try:
            tensors.update(load_file(str(path)))
        except (SafetensorError, OSError, RuntimeError, ValueError) as e:
            raise WeightsError(f"{path} is not a readable safetensors file ({e}); re-download or re-save it.") from e
    return tensors


def convert_huggingface(folder: Path) -> tuple[dict, dict, tuple[tuple[int, int], ...], dict]:
    """(dims, openai-layout state_dict, official heads, generation config) of a transformers Whisper folder."""
    dims = dims_from_config(read_json_object(folder / CONFIG), str(folder / CONFIG))
    generation = read_json_object(folder / GENERATION_CONFIG) if (folder / GENERATION_CONFIG).is_file() else {}
    state_dict = {}
    for name, tensor in read_safetensors(safetensors_files(folder)).items():
        ours = openai_name(name)
        if ours is not None:
            state_dict[ours] = tensor
    for side, count in (("encoder", dims["n_audio_layer"]), ("decoder", dims["n_text_layer"])):
        for i in range(count):
            key = f"{side}.blocks.{i}.attn.key.weight"
            if key not in state_dict:
                raise WeightsError(f"{folder} has no weights for {side} layer {i} (expected {huggingface_name(key)}); "
                                   "the safetensors file does not match config.json.")
    heads = tuple((int(layer), int(head)) for layer, head in generation.get("alignment_heads") or ())
    bad = [p for p in heads if not (0 <= p[0] < dims["n_text_layer"] and 0 <= p[1] < dims["n_text_head"])]
    if bad:
        raise WeightsError(f"{folder / GENERATION_CONFIG}: alignment_heads {bad} lie outside the decoder's "
                           f"{dims['n_text_layer']} layers x {dims['n_text_head']} heads; fix or remove them.")
    return dims, state_dict, heads, generation


def tokenizer_from_vocabulary(folder: Path, out_dir: Path) -> Path:
    """A tokenizer.json built from the folder's vocab.json and merges.txt; its path in out_dir.

    For folders saved without tokenizer.json: the same byte-level BPE as Whisper's tokenizer.json, with the
    special tokens of added_tokens.json or tokenizer_config.json's added_tokens_decoder.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415

    vocab, merges = folder / "vocab.json", folder / "merges.txt"
    if not (vocab.is_file() and merges.is_file()):
        raise WeightsError(f"{folder} has no tokenizer.json, nor vocab.json and merges.txt; copy the model's "
                           "tokenizer files beside its weights.")
    digest = hashlib.sha1(vocab.read_bytes() + merges.read_bytes())
    added, added_path = _added_tokens(folder)
    digest.update(json.dumps(added, sort_keys=True).encode())
    target = out_dir / f"tokenizer-{digest.hexdigest()[:16]}.json"
    if target.is_file():
        return target
    try:
        tokenizer = Tokenizer(models.BPE.from_file(str(vocab), str(merges)))
    except Exception as e:  # tokenizers raises a bare Exception on bad files
        raise WeightsError(f"Cannot read the vocabulary {vocab} / {merges}: {e}") from e
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    for token, _ in sorted(added.items(), key=lambda item: item[1]):  # ids in order, after the BPE vocabulary
        tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False)])
    mismatched = [t for t, i in added.items() if tokenizer.token_to_id(t) != i]
    if mismatched:
        raise WeightsError(f"{added_path}: tokens {mismatched[:3]} do not follow the vocabulary's ids; "
                           "save the tokenizer again with tokenizer.json.")
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(target))
    return target


def _added_tokens(folder: Path) -> tuple[dict[str, int], Path]:
    """{special token: id} from added_tokens.json, else tokenizer_config.json's added_tokens_decoder."""
    path = folder / "added_tokens.json"
    if path.is_file():
        return {str(k): int(v) for k, v in read_json_object(path).items()}, path
    path = folder / "tokenizer_config.json"
    decoder = read_json_object(path).get("added_tokens_decoder", {}) if path.is_file() else {}
    return {str(entry["content"]): int(i) for i, entry in decoder.items()}, path


def read_json_object(path: Path, error: type[WhisperVizError] = WeightsError,
                     advice: str = "copy it again from the model's source") -> dict:
    """The JSON object in the model config file `path`; raises `error`, its message ending in `advice`, when the
    file cannot be read, is not JSON or holds something else."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise error(f"cannot read {path} ({e}); {advice}") from e
    if not isinstance(data, dict):
        raise error(f"{path} does not hold a JSON object, so it is not a model config; {advice}")
    return data
