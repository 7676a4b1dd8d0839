"""Exact greedy token choice without the full fp32 vocabulary projection at every step (CPU).

A greedy step needs the argmax of the masked logits `W x` (W: the tied token embedding, (vocab, state)),
and the timestamp rule compares the logsumexp of the timestamp logits with the best text logit. On a CPU,
the fp32 projection streams W (80 MB for Whisper's 51864 x 384) from memory at every step and is the
costliest part of decoding. Here a cheap screen computes every logit from int8 weights (a quarter of the
bytes) together with a guaranteed bound on its error; only the few text tokens whose bound reaches the best
one, and the timestamp tokens, are then computed exactly in fp32. The token chosen is the one the full fp32
projection chooses (up to ties within fp32 rounding). The log-probabilities of the chosen tokens, which need
every logit, are computed exactly in one matrix product per window (`logprobs`).
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..jit import numba  # numba with its on-disk cache directory chosen
from .model import pack_fp16, packed_linear

BF16_UNIT = 2.0 ** -8  # bfloat16 unit roundoff (8 significant bits)
FP32_UNIT = 2.0 ** -24
SAFETY = 1.01  # relative margin on every bound, for the rounding of the bound's own arithmetic


@dataclass(frozen=True)
class ScreenedStep:
    """What one step chose and what is needed to recompute its log-probability exactly."""

    token: int
    hidden: Tensor  # (state,) the final layer norm's output at this step
    masked: Tensor  # bool (vocab,): tokens that could not be sampled at this step
    timestamp_wins: bool  # the timestamp rule masked every text token


@numba.njit(cache=True, nogil=True, inline="always")
def _bound(approx, row_norm, quantization_error, l1, l2, norm_factor):  # pragma: no cover (compiled)
    output_rounding = abs(approx) * BF16_UNIT * SAFETY  # the kernel's bfloat16 output
    return (output_rounding + norm_factor * row_norm * l2 + quantization_error * l1) * SAFETY + 1e-6


@numba.njit(cache=True, nogil=True)
def _error_bounds(approx, row_norm, quantization_error, l1, l2, norm_factor):  # pragma: no cover (compiled)
    """Per row: |fp32 logit - approx| <= bound (float64 (vocab,)); see ScreenedVocabulary.screen."""
    bound = np.empty(approx.shape[0])
    for i in range(approx.shape[0]):
        bound[i] = _bound(approx[i], row_norm[i], quantization_error[i], l1, l2, norm_factor)
    return bound


@numba.njit(cache=True, nogil=True)
def _text_candidates(approx, row_norm, quantization_error, l1, l2, norm_factor, bias, n_text):  # pragma: no cover
    """Text tokens (ids < n_text, bias 0) whose upper bound reaches the best lower bound, in increasing order."""
    threshold = -np.inf
    for i in range(n_text):
        if bias[i] == 0.0:
            lower = approx[i] - _bound(approx[i], row_norm[i], quantization_error[i], l1, l2, norm_factor)
            threshold = max(threshold, lower)
    found = np.empty(n_text, np.int64)
    n = 0
    if threshold > -np.inf:
        for i in range(n_text):
            if bias[i] == 0.0:
                upper = approx[i] + _bound(approx[i], row_norm[i], quantization_error[i], l1, l2, norm_factor)
                if upper >= threshold:
                    found[n] = i
                    n += 1
    return found[:n]


class ScreenedVocabulary:
    """int8 copy of the vocabulary projection with per-row error terms, and exact fp32 rows on demand."""

    def __init__(self, weight: Tensor, timestamp_begin: int, packed_vocabulary=None):
        """weight (vocab, state) fp32; packed_vocabulary: model.pack_fp16 of it, when its values are fp16."""
        self.weight = weight.detach().float().contiguous()  # (vocab, state)
        self.timestamp_begin = timestamp_begin
        self.packed_vocabulary = packed_vocabulary
        self.packed_timestamps = pack_fp16(self.weight[timestamp_begin:], None) if packed_vocabulary is not None else None
        weight = self.weight[:timestamp_begin]  # (text tokens, state): timestamps are always computed exactly
        row_max = weight.abs().amax(dim=1)  # (text tokens,)
        # bfloat16 scales (the fast int8 kernel takes them in the input's dtype), rounded up so |q| <= 127
        scales = (row_max / 127).bfloat16()
        too_small = scales.float() * 127 < row_max
        scales = torch.where(too_small, torch.nextafter(scales, torch.full_like(scales, float("inf"))), scales)
        scales = torch.where(scales.float() > 0, scales, torch.ones_like(scales))
        self.quantized = torch.round(weight / scales.float()[:, None]).clamp(-127, 127).to(torch.int8)
        self.scales = scales
        # exact in float32: a 7-bit integer times an 8-bit bfloat16 has at most 15 significant bits
        dequantized = self.quantized.float() * scales.float()[:, None]  # (text tokens, state)
        # |sum_j (deq - w) x_j| <= max_j |deq - w| * |x|_1, per row (the margin covers float32 rounding)
        error = (dequantized - weight).abs_().amax(dim=1)
        self.quantization_error = (error.double() * (1 + 2.0 ** -20)).numpy()  # (text tokens,)
        # sum_j |w_j| |x_j| <= |w|_2 |x|_2 for both the int8 and the fp32 rows (margin: float32 sums)
        norms = torch.maximum(torch.linalg.vector_norm(dequantized, dim=1), torch.linalg.vector_norm(weight, dim=1))
        self.row_norm = (norms.double() * (1 + 1e-4)).numpy()  # (text tokens,)
        n_state = weight.shape[1]
        self.norm_factor = BF16_UNIT + 4 * n_state * FP32_UNIT  # input rounding + both accumulations

    def screen(self, hidden: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """hidden (state,) fp32 -> (approximate text logits, bound), both (text tokens,), |fp32 logit - approx| <= bound.

        The bound adds the int8 rounding of each weight (<= its row's quantization error, times |x|_1), the
        bfloat16 rounding of the input and both accumulations (<= norm_factor |w|_2 |x|_2), and the
        bfloat16 rounding of the output.
        """
        approx, l1, l2 = self._approximate(hidden)
        return approx, _error_bounds(approx, self.row_norm, self.quantization_error, l1, l2, self.norm_factor)

    def _approximate(self, hidden: Tensor) -> tuple[np.ndarray, float, float]:
        """(int8 text logits (text tokens,) float32, |hidden|_1, |hidden|_2)."""
        approx = torch._weight_int8pack_mm(hidden.view(1, -1).bfloat16(), self.quantized, self.scales)
        return approx.float().view(-1).numpy(), float(hidden.abs().sum()), float(hidden.norm())

    def exact(self, hidden: Tensor, rows: Tensor) -> Tensor:
        """fp32 logits of the given token ids for hidden (state,)."""
        return self.weight[rows] @ hidden

    def timestamp_logits(self, hidden: Tensor) -> Tensor:
        """fp32 logits of every timestamp token for hidden (state,)."""
        if self.packed_timestamps is None:
            return self.weight[self.timestamp_begin:] @ hidden
        return packed_linear(hidden[None], self.packed_timestamps)[0]

    def all_logits(self, hidden: Tensor) -> Tensor:
        """fp32 logits of the whole vocabulary for hidden (..., state) -> (..., vocab)."""
        if self.packed_vocabulary is None:
            return hidden @ self.weight.T
        return packed_linear(hidden, self.packed_vocabulary)

    def choose(self, hidden: Tensor, bias: Tensor) -> tuple[int, bool]:
        """The argmax of the masked logits `W hidden + bias` under Whisper's timestamp rule.

        Returns (token, timestamp_wins). `bias` (vocab,) is 0 or -inf; text tokens are those before
        `timestamp_begin`; the rule masks every text token when the timestamps together are likelier.
        """
        ts_begin = self.timestamp_begin
        timestamp_bias = bias[ts_begin:]
        timestamps_open = bool((timestamp_bias == 0).any())
        timestamp_logits = self.timestamp_logits(hidden) + timestamp_bias if timestamps_open else None
        text_max, text_token = float("-inf"), 0
        approx, l1, l2 = self._approximate(hidden)
        candidates = torch.from_numpy(_text_candidates(approx, self.row_norm, self.quantization_error, l1, l2,
                                                       self.norm_factor, bias.numpy(), ts_begin))
        if len(candidates):  # none when every text token is masked
            exact = self.exact(hidden, candidates)  # every token that may be the best text token
            best = int(exact.argmax())  # candidates are increasing: ties go to the lowest id, as argmax does
            text_max, text_token = float(exact[best]), int(candidates[best])
        if timestamp_logits is None:
            return text_token, False
        timestamp_wins = bool(timestamp_logits.logsumexp(dim=-1) > text_max)
        if timestamp_wins:
            text_max = float("-inf")
        best_timestamp = int(timestamp_logits.argmax())
        if text_max >= float(timestamp_logits[best_timestamp]):
            return text_token, timestamp_wins
        return ts_begin + best_timestamp, timestamp_wins

    def logprobs(self, steps: list[ScreenedStep]) -> list[float]:
        """Exact log-probability of each step's token under its masked logits: one (steps, vocab) product."""
        if not steps:
            return []
        logits = self.all_logits(torch.stack([s.hidden for s in steps]))  # (steps, vocab)
        logits.masked_fill_(torch.stack([s.masked for s in steps]), float("-inf"))
        wins = torch.tensor([s.timestamp_wins for s in steps])
        logits[:, :self.timestamp_begin].masked_fill_(wins[:, None], float("-inf"))
        chosen = logits.gather(1, torch.tensor([s.token for s in steps])[:, None]).view(-1)
        return (chosen - logits.logsumexp(dim=-1)).tolist()


def screening_applies(weight: Tensor) -> bool:
    """The screen pays off on CPU fp32 weights (GPU decoding keeps the full projection, under a CUDA graph)."""
    return weight.device.type == "cpu" and weight.dtype == torch.float32 and hasattr(torch, "_weight_int8pack_mm")
