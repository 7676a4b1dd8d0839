"""Single-token decoding steps replayed from a CUDA graph (GPU only).

On a GPU one greedy step of a small Whisper is ~150 tiny kernels; launching them from Python costs more
than running them. A CUDA graph records the step once and replays it with one launch. The graph needs
fixed addresses and shapes, so the self-attention cache is a fixed (1, heads, n_text_ctx, head_dim)
buffer and each window's cross-attention keys/values are copied into fixed buffers.
"""


import torch
from torch import Tensor

from .model import DecoderState, Whisper

WARMUP_STEPS = 3  # eager runs on a side stream before capture, as CUDA graph capture requires


class GraphedDecoder:
    """A decoder with fixed buffers whose one-token step is captured as a CUDA graph."""

    def __init__(self, model: Whisper):
        dims, device, dtype = model.dims, model.device, model.dtype
        head_dim = dims.n_text_state // dims.n_text_head
        self.model = model

        def buffer(length: int) -> Tensor:
            return torch.zeros(1, dims.n_text_head, length, head_dim, device=device, dtype=dtype)

        self.state = DecoderState(
            cross_kv=[(buffer(dims.n_audio_ctx), buffer(dims.n_audio_ctx)) for _ in range(dims.n_text_layer)],
            self_cache=[(buffer(dims.n_text_ctx), buffer(dims.n_text_ctx)) for _ in range(dims.n_text_layer)],
            position=torch.zeros((), dtype=torch.long, device=device))
        self.token = torch.zeros(1, 1, dtype=torch.long, device=device)
        self.logits = self._capture()

    @torch.inference_mode()
    def _capture(self) -> Tensor:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(WARMUP_STEPS):
                self.state.position.zero_()
                self.model.decoder(self.token, self.state)
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            logits, _ = self.model.decoder(self.token, self.state)
        return logits  # (1, 1, vocab): rewritten by every replay

    @torch.inference_mode()
    def start(self, cross_kv, prefix: Tensor, logits_from: int = 0) -> Tensor:
        """Load a window's cross keys/values, run the prefix (1, T) eagerly; returns its logits."""
        for (k, v), (k_new, v_new) in zip(self.state.cross_kv, cross_kv):
            k.copy_(k_new)
            v.copy_(v_new)
        self.state.position.zero_()
        logits, _ = self.model.decoder(prefix, self.state, logits_from=logits_from)
        return logits

    @torch.inference_mode()
    def step(self, token: Tensor) -> Tensor:
        """Append one token (a 0-d or (1, 1) long tensor on the GPU); returns logits (vocab,)."""
        self.token.copy_(token.view(1, 1))
        self.graph.replay()
        return self.logits[0, -1]


def graphed_decoder(model: Whisper) -> GraphedDecoder:
    """A graphed decoder for `model` (decoding keeps one per LoadedModel, so its buffers are reused window
    after window and go when the model goes)."""
    return GraphedDecoder(model)


def use_cuda_graph(model: Whisper) -> bool:
    return model.device.type == "cuda"
