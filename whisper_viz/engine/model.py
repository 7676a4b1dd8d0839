"""A compact PyTorch Whisper: audio encoder, text decoder with a KV cache, and cross-attention capture.

Parameter names follow openai-whisper's checkpoints, so `state_dict()` loads into its `Whisper` class
and its `.pt` files load here. Attention uses SDPA except where the weights themselves are wanted.
"""

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..constants import MULTILINGUAL_VOCAB_SIZE


@dataclass(frozen=True)
class ModelDimensions:
    n_mels: int  # mel bins of the input (80, or 128 for large-v3)
    n_audio_ctx: int  # encoder frames per 30 s window (1500)
    n_audio_state: int  # encoder width
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int  # decoder positions (448)
    n_text_state: int  # decoder width
    n_text_head: int
    n_text_layer: int

    def to_dict(self) -> dict:
        return asdict(self)


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> Tensor:
    """Fixed sinusoidal positions of the encoder: (length, channels), on the CPU even under a meta-device
    context (meta kernels of these ops import ~4 s of torch's Python decompositions on first use)."""
    log_timescale_increment = np.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-log_timescale_increment * torch.arange(channels // 2, device="cpu"))
    scaled_time = torch.arange(length, device="cpu")[:, None] * inv_timescales[None, :]
    return torch.cat([torch.sin(scaled_time), torch.cos(scaled_time)], dim=1)


class LayerNorm(nn.LayerNorm):
    """Normalises in fp32 even when activations are fp16 (load_model keeps these weights in fp32)."""

    def forward(self, x: Tensor) -> Tensor:
        weight, bias = self.weight, self.bias
        if weight.dtype != torch.float32:
            weight, bias = weight.float(), bias.float()
        return F.layer_norm(x.float(), self.normalized_shape, weight, bias, self.eps).type(x.dtype)


def pack_fp16(weight: Tensor, bias: Tensor | None):
    """fbgemm's packed fp16 copy of a CPU fp32 weight whose values are all fp16 numbers, else None.

    Whisper's published weights are fp16, so the copy holds the same values in half the bytes; fbgemm
    multiplies them with fp32 activations and fp32 accumulation: the results differ from fp32 BLAS only
    in the order of summation (about 1e-6), and a product runs about twice as fast on CPU (memory-bound
    one-token decoding steps and the encoder's 1500-row products alike; bench/bench_engine.py).
    """
    if weight.device.type != "cpu" or weight.dtype != torch.float32 or "fbgemm" not in torch.backends.quantized.supported_engines:
        return None
    if not torch.equal(weight.half().float(), weight):
        return None
    try:
        return torch.ops.quantized.linear_prepack_fp16(weight.contiguous(), bias)
    except RuntimeError:  # fbgemm built in, but this CPU lacks the instructions it needs (AVX2)
        return None


def packed_linear(x: Tensor, packed) -> Tensor:
    """x (..., in) fp32 times a pack_fp16 weight (out, in), plus its bias -> (..., out) fp32."""
    y = torch.ops.quantized.linear_dynamic_fp16(x.reshape(-1, x.shape[-1]), packed)  # (rows, out)
    return y.view(*x.shape[:-1], y.shape[-1])


class Linear(nn.Linear):
    """nn.Linear that uses a packed fp16 copy of its weights once pack_fp16() found them exact (CPU)."""

    packed = None  # pack_fp16's result; not part of the state dict

    def pack_fp16(self) -> bool:
        self.packed = pack_fp16(self.weight.detach(), None if self.bias is None else self.bias.detach())
        return self.packed is not None

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) if self.packed is None else packed_linear(x, self.packed)


KVCache = tuple[Tensor, Tensor]  # key, value: (batch, heads, positions, head_dim)


class MultiHeadAttention(nn.Module):
    def __init__(self, n_state: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.query = Linear(n_state, n_state)
        self.key = Linear(n_state, n_state, bias=False)
        self.value = Linear(n_state, n_state)
        self.out = Linear(n_state, n_state)

    def split_heads(self, x: Tensor) -> Tensor:
        batch, length, n_state = x.shape
        return x.view(batch, length, self.n_head, n_state // self.n_head).transpose(1, 2)  # (B, nh, T, hs)

    def project_kv(self, source: Tensor) -> KVCache:
        return self.split_heads(self.key(source)), self.split_heads(self.value(source))

    def project_qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Self-attention's query, key and value (B, nh, T, hs), in one product when fuse_qkv() was called."""
        if self.fused_qkv is None:
            return (self.split_heads(self.query(x)), *self.project_kv(x))
        weight, bias, packed = self.fused_qkv
        qkv = F.linear(x, weight, bias) if packed is None else packed_linear(x, packed)  # (B, T, 3C)
        return tuple(self.split_heads(part) for part in qkv.chunk(3, dim=-1))

    fused_qkv: tuple[Tensor, Tensor, object] | None = None  # (weight (3C, C), bias (3C,), pack_fp16 or None)

    def fuse_qkv(self) -> None:
        """Concatenate the query, key and value weights (the key has no bias) for project_qkv."""
        bias = torch.cat([self.query.bias, torch.zeros_like(self.value.bias), self.value.bias])
        weight = torch.cat([self.query.weight, self.key.weight, self.value.weight])
        packed = pack_fp16(weight, bias)
        # input-major when not packed: see TextDecoder.prepare_cpu_decoding
        self.fused_qkv = (None, None, packed) if packed is not None else (weight.t().contiguous().t(), bias, None)

    def forward(self, x: Tensor, kv: KVCache, causal: bool = False, want_logits: bool = False,
                mask: Tensor | None = None, q: Tensor | None = None):
        """Attend from x (B, T, C) to kv; returns (output (B, T, C), pre-softmax logits or None).

        `mask` (T, S) bool, True = may attend, replaces the causal rule (fixed-size caches use it).
        `q` (B, nh, T, hs): the queries when already projected (project_qkv).
        """
        q = self.split_heads(self.query(x)) if q is None else q  # (B, nh, T, hs)
        k, v = kv
        logits = None
        if mask is not None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        elif want_logits:
            scale = q.shape[-1] ** -0.5
            logits = (q.float() @ k.float().transpose(-1, -2)) * scale  # (B, nh, T, S)
            if causal and q.shape[2] > 1:
                mask = torch.ones(q.shape[2], k.shape[2], dtype=torch.bool, device=x.device).tril(k.shape[2] - q.shape[2])
                logits = logits.masked_fill(~mask, float("-inf"))
            y = (logits.softmax(dim=-1).to(v.dtype) @ v)
        else:
            # queries sit at the end of the key sequence when a cache is used; is_causal expects square
            use_causal = causal and q.shape[2] > 1
            y = F.scaled_dot_product_attention(q, k, v, is_causal=use_causal and q.shape[2] == k.shape[2])
            if use_causal and q.shape[2] != k.shape[2]:
                mask = torch.ones(q.shape[2], k.shape[2], dtype=torch.bool, device=x.device).tril(k.shape[2] - q.shape[2])
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).flatten(2)  # (B, T, C)
        return self.out(y), logits


class ResidualAttentionBlock(nn.Module):
    def __init__(self, n_state: int, n_head: int, cross_attention: bool = False):
        super().__init__()
        self.attn = MultiHeadAttention(n_state, n_head)
        self.attn_ln = LayerNorm(n_state)
        self.cross_attn = MultiHeadAttention(n_state, n_head) if cross_attention else None
        self.cross_attn_ln = LayerNorm(n_state) if cross_attention else None
        self.mlp = nn.Sequential(Linear(n_state, 4 * n_state), nn.GELU(), Linear(4 * n_state, n_state))
        self.mlp_ln = LayerNorm(n_state)

    def forward(self, x: Tensor, self_cache: KVCache | None = None, cross_kv: KVCache | None = None,
                want_logits: bool = False, positions: Tensor | None = None, mask: Tensor | None = None):
        """Returns (x, new self-attention cache, cross-attention logits or None).

        With `positions` (T,), self_cache is a fixed-size buffer written in place at those positions and
        `mask` says which of its slots each query sees; otherwise the cache grows by concatenation.
        """
        h = self.attn_ln(x)
        q, k, v = self.attn.project_qkv(h)
        if positions is not None:
            self_cache[0].index_copy_(2, positions, k)
            self_cache[1].index_copy_(2, positions, v)
            k, v = self_cache
        elif self_cache is not None:
            k, v = torch.cat([self_cache[0], k], dim=2), torch.cat([self_cache[1], v], dim=2)
        y, _ = self.attn(h, (k, v), causal=self.cross_attn is not None, mask=mask, q=q)
        x = x + y
        logits = None
        if self.cross_attn is not None:
            y, logits = self.cross_attn(self.cross_attn_ln(x), cross_kv, want_logits=want_logits)
            x = x + y
        x = x + self.mlp(self.mlp_ln(x))
        return x, (k, v), logits


class AudioEncoder(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        self.conv1 = nn.Conv1d(dims.n_mels, dims.n_audio_state, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(dims.n_audio_state, dims.n_audio_state, kernel_size=3, stride=2, padding=1)
        self.register_buffer("positional_embedding", sinusoids(dims.n_audio_ctx, dims.n_audio_state))
        self.blocks = nn.ModuleList(
            ResidualAttentionBlock(dims.n_audio_state, dims.n_audio_head) for _ in range(dims.n_audio_layer))
        self.ln_post = LayerNorm(dims.n_audio_state)

    def forward(self, mel: Tensor) -> Tensor:
        """mel (B, n_mels, 3000) -> audio features (B, 1500, n_audio_state)."""
        x = F.gelu(self.conv1(mel))
        x = F.gelu(self.conv2(x)).permute(0, 2, 1)  # (B, 1500, C)
        x = (x + self.positional_embedding[: x.shape[1]]).to(x.dtype)
        for block in self.blocks:
            x, _, _ = block(x)
        return self.ln_post(x)


@dataclass
class DecoderState:
    """Per-window decoder state: cross-attention keys/values (fixed) and the self-attention cache.

    The cache either grows by concatenation (self_cache (B, nh, positions, hs) per layer, position None)
    or is a fixed (B, nh, n_text_ctx, hs) buffer filled in place up to the 0-d tensor `position`, which
    keeps every shape static so a CUDA graph can replay decoding steps.
    """

    cross_kv: list[KVCache]  # per layer: (B, nh, 1500, hs)
    self_cache: list[KVCache] | None = None
    position: Tensor | None = None  # next free slot of a fixed-size cache (long, on the model's device)

    @property
    def length(self) -> int:
        return 0 if self.self_cache is None else self.self_cache[0][0].shape[2]


class TextDecoder(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        # weights come from a checkpoint: no random init (on the meta device it would import torch._dynamo, ~3 s)
        self.token_embedding = nn.Embedding(dims.n_vocab, dims.n_text_state,
                                            _weight=torch.empty(dims.n_vocab, dims.n_text_state))
        self.positional_embedding = nn.Parameter(torch.empty(dims.n_text_ctx, dims.n_text_state))
        self.blocks = nn.ModuleList(
            ResidualAttentionBlock(dims.n_text_state, dims.n_text_head, cross_attention=True)
            for _ in range(dims.n_text_layer))
        self.ln = LayerNorm(dims.n_text_state)

    def start(self, audio_features: Tensor) -> DecoderState:
        """Project the encoder output to every layer's cross-attention keys/values once per window."""
        # contiguous (B, nh, S, hs): each decoding step reads them all, and strided reads cost twice the time
        return DecoderState([tuple(t.contiguous() for t in block.cross_attn.project_kv(audio_features))
                             for block in self.blocks])

    def prepare_cpu_decoding(self) -> None:
        """Arrange the weights for one-token steps on CPU; values and results unchanged.

        Each step multiplies one vector by every weight. BLAS reads a weight with more outputs than
        inputs about 1.6x faster as a transposed view of an (in, out) tensor, and the reverse for fewer
        outputs (measured on 2 cores: MLP in 135 vs 211 us, MLP out 132 vs 208 us), so the wide ones
        are re-strided; self-attention's query, key and value become one wide product.
        """
        for module in self.blocks.modules():
            if isinstance(module, Linear) and module.packed is None and module.out_features > module.in_features:
                module.weight = nn.Parameter(module.weight.detach().t().contiguous().t(), requires_grad=False)
        for block in self.blocks:
            block.attn.fuse_qkv()

    @cached_property
    def packed_vocabulary(self):
        """pack_fp16 of the tied token embedding (vocab, state) on CPU, else None; not in the state dict.

        Packed on first use, not at load: packing 51864 rows takes ~240 ms, a second load from the cache
        would take twice as long, and a one-off command-line run gains less than that.
        """
        return pack_fp16(self.token_embedding.weight.detach(), None)

    def project(self, x: Tensor) -> Tensor:
        """Final-layer-norm states (..., state) -> fp32 logits (..., vocab) through the tied token embedding."""
        packed = self.packed_vocabulary
        if packed is not None:
            return packed_linear(x, packed)
        return (x @ self.token_embedding.weight.to(x.dtype).T).float()

    def forward(self, tokens: Tensor, state: DecoderState, capture: bool = False, logits_from: int = 0,
                project: bool = True):
        """tokens (B, T) appended after state's cache -> (logits (B, T - logits_from, vocab) fp32, cross logits).

        Logits are computed only for positions from `logits_from` on: the vocabulary projection is the
        costliest step, and a prompt's positions need none; project=False returns the final layer norm's output
        instead of logits. With capture=True, also returns the pre-softmax cross-attention of every layer stacked as
        (B, layers, heads, T, 1500); otherwise None. The state's self-attention cache is extended.
        """
        positions = mask = None
        if state.position is not None:  # fixed-size cache: no host-side shapes depend on the position
            positions = state.position + torch.arange(tokens.shape[-1], device=tokens.device)  # (T,)
            slots = torch.arange(state.self_cache[0][0].shape[2], device=tokens.device)
            mask = slots[None, :] <= positions[:, None]  # (T, n_text_ctx)
            x = self.token_embedding(tokens) + self.positional_embedding.index_select(0, positions)
        else:
            offset = state.length
            x = self.token_embedding(tokens) + self.positional_embedding[offset: offset + tokens.shape[-1]]
        new_cache, cross = [], []
        for i, block in enumerate(self.blocks):
            cache = None if state.self_cache is None else state.self_cache[i]
            x, kv, logits = block(x, cache, state.cross_kv[i], want_logits=capture, positions=positions, mask=mask)
            new_cache.append(kv)
            cross.append(logits)
        if state.position is not None:
            state.position.add_(tokens.shape[-1])
        else:
            state.self_cache = new_cache
        x = self.ln(x[:, logits_from:])
        if not project:  # the caller projects (screened_vocabulary): the normalised states (B, T', C)
            return x, (torch.stack(cross, dim=1) if capture else None)
        return self.project(x), (torch.stack(cross, dim=1) if capture else None)  # (B, layers, nh, T, S)


class Whisper(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        self.dims = dims
        self.encoder = AudioEncoder(dims)
        self.decoder = TextDecoder(dims)
        # upper half of the decoder layers until the official heads are set (openai-whisper's default)
        default = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool, device="cpu")
        default[dims.n_text_layer // 2:] = True
        self.register_buffer("alignment_heads", default.to_sparse())

    def set_alignment_heads(self, dump: bytes | str) -> None:
        """Decode an openai-whisper alignment-head dump (base85 + gzip) into the sparse bool buffer."""
        from ..heads import mask_from_dump

        mask = mask_from_dump(dump, self.dims.n_text_layer, self.dims.n_text_head)
        self.set_alignment_mask(mask)

    def set_alignment_mask(self, mask: np.ndarray) -> None:
        """Same as set_alignment_heads, from a bool (layers, heads) array. The buffer is persistent."""
        mask = torch.from_numpy(np.asarray(mask, bool).copy()).reshape(self.dims.n_text_layer, self.dims.n_text_head)
        self.register_buffer("alignment_heads", mask.to_sparse().to(self.device))

    def prepare_cpu_inference(self) -> None:
        """Faster CPU products, same values: packed fp16 copies of fp16-valued weights (pack_fp16),
        fused self-attention projections, and decoder weights re-strided where packing does not apply."""
        for module in self.modules():
            if isinstance(module, Linear):
                module.pack_fp16()
        for block in self.encoder.blocks:
            block.attn.fuse_qkv()
        self.decoder.prepare_cpu_decoding()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    @property
    def is_multilingual(self) -> bool:
        return self.dims.n_vocab >= MULTILINGUAL_VOCAB_SIZE
