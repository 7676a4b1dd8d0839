"""`load_model`: a ready-to-run Whisper (weights, tokenizer, official heads) on the chosen device."""

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import numpy as np
import torch

from ..errors import DeviceError, WeightsError
from ..weights.cache import load_checkpoint
from ..weights.checkpoint import heads_mask
from ..weights.registry import ModelSource, resolve_source
from .model import LayerNorm, ModelDimensions, Whisper
from .tokenizer import WhisperTokenizer

DEVICES = ("auto", "cpu", "cuda")
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A Whisper model with everything decoding and alignment need."""

    name: str  # registry name or path it was loaded from
    model: Whisper
    tokenizer: WhisperTokenizer
    official_heads: np.ndarray  # bool (layers, heads): the model's alignment heads
    suppress_ids: tuple[int, ...]  # suppressed at every decoding step
    suppress_ids_begin: tuple[int, ...]  # suppressed at the first sampled step
    source: ModelSource
    load_seconds: float  # wall time of load_model
    from_cache: bool  # True when the converted weights came from the cache
    lock: threading.Lock  # one inference at a time per model (app sessions share it)
    # values built from the model on first use (decoding's screened vocabulary, suppress mask, CUDA graph):
    # kept here rather than in module-level caches, so they go when the model goes
    _derived: dict = field(default_factory=dict, repr=False)

    def derived(self, name: str, make: Callable[[], T]) -> T:
        """The value `make()` built for this model under `name`, built on first use."""
        if name not in self._derived:
            self._derived[name] = make()
        return self._derived[name]

    @property
    def dims(self) -> ModelDimensions:
        return self.model.dims

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.dtype

    @property
    def is_multilingual(self) -> bool:
        return self.tokenizer.is_multilingual


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cuda' without a GPU is a DeviceError."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was requested but no NVIDIA GPU is usable here; use device='cpu' or 'auto'.")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise DeviceError(f"Unknown device {name!r}; use one of {', '.join(DEVICES)}.")


def load_model(name: str | os.PathLike = "tiny.en", device: str | torch.device = "auto",
               dtype: torch.dtype | None = None, use_cache: bool = True) -> LoadedModel:
    """Load a model by name ('tiny.en', 'base'), CTranslate2 folder or openai .pt path.

    fp16 on CUDA and fp32 on CPU unless `dtype` says otherwise.
    """
    started = time.perf_counter()
    target = pick_device(device)
    source = resolve_source(name)
    checkpoint, tokenizer_path, from_cache = load_checkpoint(source, use_cache=use_cache)
    try:
        dims = ModelDimensions(**{k: int(v) for k, v in checkpoint.dims.items()})
    except TypeError as e:
        raise WeightsError(f"{source.name} has unexpected model dimensions {checkpoint.dims}: {e}") from e
    with torch.device("meta"):  # skip random initialisation: every weight comes from the checkpoint
        model = Whisper(dims)
    missing, unexpected = model.load_state_dict(checkpoint.state_dict, strict=False, assign=True)
    missing = [k for k in missing if k != "alignment_heads"]
    if missing or unexpected:
        raise WeightsError(f"{source.name} does not fit a Whisper of dims {dims}: "
                           f"missing {missing[:5]}, unexpected {unexpected[:5]}.")
    model.set_alignment_mask(heads_mask(checkpoint.alignment_heads, dims.n_text_layer, dims.n_text_head))
    dtype = dtype or (torch.float16 if target.type == "cuda" else torch.float32)
    model = model.to(device=target, dtype=dtype).eval()
    if target.type == "cpu":
        model.prepare_cpu_inference()
    for module in model.modules():
        if isinstance(module, LayerNorm):
            module.float()  # normalisation stays fp32 under fp16 weights
    model.requires_grad_(False)
    official = model.alignment_heads.to_dense().cpu().numpy()
    tokenizer = WhisperTokenizer.from_file(tokenizer_path, dims.n_vocab)
    return LoadedModel(str(name), model, tokenizer, official, checkpoint.suppress_ids, checkpoint.suppress_ids_begin,
                       source, time.perf_counter() - started, from_cache, threading.Lock())
