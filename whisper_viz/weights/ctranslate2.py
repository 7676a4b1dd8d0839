"""Reader for CTranslate2 `model.bin` files holding a WhisperSpec, converted to openai-whisper names.

The binary layout (version 6): uint32 version, string spec name, uint32 spec revision, uint32 variable
count, then per variable: string name, uint8 rank, uint32 dims, uint8 dtype id, uint32 byte count, data;
then uint32 alias count and (alias, target) string pairs. Strings are uint16 length (with NUL) + bytes.
"""

import io
import re
import struct
from typing import BinaryIO

import numpy as np
import torch

from ..errors import WeightsError

SUPPORTED_BINARY_VERSIONS = (5, 6)
# CTranslate2's DataType enum, in order: FLOAT32, INT8, INT16, INT32, FLOAT16, BFLOAT16.
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
MAX_VARIABLES = 100_000


class _Reader:
    def __init__(self, stream: BinaryIO, what: str):
        self.stream = stream
        self.what = what

    def take(self, n: int) -> bytes:
        data = self.stream.read(n)
        if len(data) != n:
            raise WeightsError(f"{self.what} is truncated: the file ended while reading a model variable. "
                               "Re-install the model package or re-download the file.")
        return data

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def string(self) -> str:
        (length,) = self.unpack("H")
        raw = self.take(length)
        try:
            return raw.rstrip(b"\0").decode("utf-8")
        except UnicodeDecodeError as e:
            raise WeightsError(f"{self.what} is not a CTranslate2 model (bad variable name).") from e


def _to_tensor(raw: bytes, dtype_id: int, shape: tuple[int, ...], name: str, what: str) -> torch.Tensor:
    if dtype_id not in DTYPES:
        raise WeightsError(f"{what}: variable {name} has unknown data type id {dtype_id}.")
    if DTYPES[dtype_id] == "bfloat16":
        array = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        tensor = torch.from_numpy(array.view(np.float32).copy())
    else:
        tensor = torch.from_numpy(np.frombuffer(raw, dtype=DTYPES[dtype_id]).copy())
    if tensor.numel() != int(np.prod(shape, dtype=np.int64)):
        raise WeightsError(f"{what}: variable {name} holds {tensor.numel()} values but its shape is {shape}.")
    return tensor.reshape(shape)


def read_ctranslate2_variables(stream: BinaryIO, what: str = "model.bin") -> dict[str, torch.Tensor]:
    """All variables of a CTranslate2 Whisper model.bin, aliases resolved, int8 weights dequantized."""
    reader = _Reader(stream, what)
    (version,) = reader.unpack("I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise WeightsError(f"{what} is not a CTranslate2 model of a supported version "
                           f"(found version {version}, supported {SUPPORTED_BINARY_VERSIONS}).")
    spec = reader.string()
    reader.unpack("I")  # spec revision
    if spec != "WhisperSpec":
        raise WeightsError(f"{what} holds a {spec!r}, not a Whisper model (WhisperSpec).")
    (count,) = reader.unpack("I")
    if count > MAX_VARIABLES:
        raise WeightsError(f"{what} is corrupt: it claims {count} variables.")
    variables: dict[str, torch.Tensor] = {}
    for _ in range(count):
        name = reader.string()
        (rank,) = reader.unpack("B")
        shape = reader.unpack(f"{rank}I") if rank else ()
        dtype_id, num_bytes = reader.unpack("BI")
        variables[name] = _to_tensor(reader.take(num_bytes), dtype_id, tuple(shape), name, what)
    (num_aliases,) = reader.unpack("I")
    for _ in range(num_aliases):
        alias, target = reader.string(), reader.string()
        if target not in variables:
            raise WeightsError(f"{what}: alias {alias} points to missing variable {target}.")
        variables[alias] = variables[target]
    return _dequantize(variables)


def _dequantize(variables: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """int8 weights come with a per-row float scale: weight = int8 / scale."""
    out = {}
    for name, value in variables.items():
        if name.endswith("_scale"):
            continue
        scale = variables.get(name + "_scale")
        if value.dtype == torch.int8 and scale is not None and value.ndim == 2:
            value = value.float() / scale.float().reshape(-1, 1)
        out[name] = value
    return out


def _split(tensor: torch.Tensor, parts: int) -> tuple[torch.Tensor, ...]:
    return tuple(tensor.chunk(parts, dim=0))


def _linear(sd: dict, ours: str, v: dict, theirs: str, bias: bool = True) -> None:
    sd[f"{ours}.weight"] = v[f"{theirs}/weight"]
    if bias:
        sd[f"{ours}.bias"] = v[f"{theirs}/bias"]


def _norm(sd: dict, ours: str, v: dict, theirs: str) -> None:
    sd[f"{ours}.weight"] = v[f"{theirs}/gamma"]
    sd[f"{ours}.bias"] = v[f"{theirs}/beta"]


def _attention(sd: dict, ours: str, v: dict, theirs: str, fused: str, out: str) -> None:
    """Split CTranslate2's fused q|k|v (or k|v) projection into openai-whisper's query/key/value."""
    weight, bias = v[f"{theirs}/{fused}/weight"], v[f"{theirs}/{fused}/bias"]
    parts = weight.shape[0] // weight.shape[1]
    names = ("query", "key", "value")[3 - parts:]
    for name, w, b in zip(names, _split(weight, parts), _split(bias, parts)):
        sd[f"{ours}.{name}.weight"] = w
        if name != "key":  # Whisper's key projection has no bias (CTranslate2 stores zeros)
            sd[f"{ours}.{name}.bias"] = b
    _linear(sd, f"{ours}.out", v, f"{theirs}/{out}")


def _layer_count(v: dict, prefix: str) -> int:
    found = {int(m.group(1)) for name in v if (m := re.match(rf"{prefix}/layer_(\d+)/", name))}
    return max(found) + 1 if found else 0


def convert_to_openai(v: dict[str, torch.Tensor], what: str = "model.bin") -> tuple[dict, dict]:
    """(dims, state_dict) in openai-whisper's checkpoint layout from CTranslate2 variables."""
    try:
        n_audio_layer, n_text_layer = _layer_count(v, "encoder"), _layer_count(v, "decoder")
        conv1 = v["encoder/conv1/weight"]  # (n_audio_state, n_mels, 3)
        embeddings = v["decoder/embeddings/weight"]  # (n_vocab, n_text_state)
        dims = dict(
            n_mels=conv1.shape[1],
            n_audio_ctx=v["encoder/position_encodings/encodings"].shape[0],
            n_audio_state=conv1.shape[0],
            n_audio_head=int(v["encoder/num_heads"].item()),
            n_audio_layer=n_audio_layer,
            n_vocab=embeddings.shape[0],
            n_text_ctx=v["decoder/position_encodings/encodings"].shape[0],
            n_text_state=embeddings.shape[1],
            n_text_head=int(v["decoder/num_heads"].item()),
            n_text_layer=n_text_layer,
        )
        sd: dict[str, torch.Tensor] = {}
        _linear(sd, "encoder.conv1", v, "encoder/conv1")
        _linear(sd, "encoder.conv2", v, "encoder/conv2")
        sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
        for side, count in (("encoder", n_audio_layer), ("decoder", n_text_layer)):
            for i in range(count):
                ours, theirs = f"{side}.blocks.{i}", f"{side}/layer_{i}"
                _norm(sd, f"{ours}.attn_ln", v, f"{theirs}/self_attention/layer_norm")
                _attention(sd, f"{ours}.attn", v, f"{theirs}/self_attention", "linear_0", "linear_1")
                if side == "decoder":
                    _norm(sd, f"{ours}.cross_attn_ln", v, f"{theirs}/attention/layer_norm")
                    _linear(sd, f"{ours}.cross_attn.query", v, f"{theirs}/attention/linear_0")
                    _attention(sd, f"{ours}.cross_attn", v, f"{theirs}/attention", "linear_1", "linear_2")
                _norm(sd, f"{ours}.mlp_ln", v, f"{theirs}/ffn/layer_norm")
                _linear(sd, f"{ours}.mlp.0", v, f"{theirs}/ffn/linear_0")
                _linear(sd, f"{ours}.mlp.2", v, f"{theirs}/ffn/linear_1")
        _norm(sd, "encoder.ln_post", v, "encoder/layer_norm")
        sd["decoder.token_embedding.weight"] = embeddings
        sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
        _norm(sd, "decoder.ln", v, "decoder/layer_norm")
    except KeyError as e:
        raise WeightsError(f"{what} is missing the Whisper variable {e.args[0]}; "
                           "it is not a complete CTranslate2 Whisper model.") from e
    if n_audio_layer == 0 or n_text_layer == 0:
        raise WeightsError(f"{what} has no encoder or decoder layers.")
    return dims, sd


def read_ctranslate2_whisper(data: bytes | BinaryIO, what: str = "model.bin") -> tuple[dict, dict]:
    """(dims, openai-layout state_dict) from model.bin bytes or an open binary file."""
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        return convert_to_openai(read_ctranslate2_variables(stream, what), what)
    except (struct.error, ValueError, RuntimeError, OverflowError, MemoryError) as e:
        raise WeightsError(f"{what} is corrupt and cannot be read as a CTranslate2 model ({e}).") from e
