"""Teacher-forced pass that records the cross-attention of every decoder layer and head."""

import numpy as np
import torch

from ..results import Token, WindowCapture
from .loading import LoadedModel
from .model import DecoderState


@torch.inference_mode()
def capture_window(model: LoadedModel, state: DecoderState, text_tokens: list[int], *, index: int, offset: float,
                   num_frames: int, sot_sequence: tuple[int, ...], language: str,
                   no_speech_probability: float) -> WindowCapture:
    """Run [sot sequence, no_timestamps, text tokens, eot] through the decoder and keep all cross-attention.

    `state` carries the window's cross-attention keys/values (its self-attention cache is not used).
    `num_frames` is the count of encoder frames (20 ms) holding real audio; attention is cropped to them
    and softmax is taken over those frames only, as Whisper's word alignment does.
    """
    tok = model.tokenizer
    num_frames = max(1, min(int(num_frames), model.dims.n_audio_ctx))
    tokens = [*sot_sequence, tok.no_timestamps, *text_tokens, tok.eot]
    first = len(sot_sequence)  # row of no_timestamps: it predicts the first text token
    logits, cross = model.model.decoder(torch.tensor([tokens], device=model.device), DecoderState(state.cross_kv),
                                        capture=True, logits_from=first)
    # softmax over the real-audio frames only; rows predicting text tokens and eot are the attention
    weights = cross[0, :, :, :, :num_frames].float().softmax(dim=-1).to(torch.float16)  # (layers, heads, all rows, frames)
    attention = weights[:, :, first:-1].cpu().numpy()  # (layers, heads, tokens, frames)
    context = torch.cat([weights[:, :, :first], weights[:, :, -1:]], dim=2).cpu().numpy()
    predicted = logits[0, :-1]  # (tokens, vocab): positions from no_timestamps to the last text token
    # text-token probabilities over ordinary tokens only, like openai-whisper's word probabilities
    text_probs = predicted[:-1, : tok.eot].softmax(dim=-1)
    text_probs = text_probs[torch.arange(len(text_tokens)), torch.tensor(text_tokens, dtype=torch.long)].tolist()
    eot_prob = predicted[-1].softmax(dim=-1)[tok.eot].item()
    infos = [Token(t, tok.token_text(t), tok.token_bytes(t), float(p)) for t, p in zip(text_tokens, text_probs)]
    infos.append(Token(tok.eot, tok.token_text(tok.eot), b"", float(eot_prob), special=True))
    return WindowCapture(index=index, offset=float(offset), num_frames=num_frames, attention=np.ascontiguousarray(attention),
                         tokens=tuple(infos), sot_sequence=tuple(sot_sequence), text=tok.decode(text_tokens),
                         language=language, no_speech_probability=float(no_speech_probability),
                         context_attention=np.ascontiguousarray(context))
