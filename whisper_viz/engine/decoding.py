"""Greedy decoding of one 30 s window with Whisper's timestamp rules, and language detection."""

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import torch
from torch import Tensor

from ..constants import FRAMES_PER_SECOND, TIME_PRECISION
from .graphed_decoder import graphed_decoder, use_cuda_graph
from .loading import LoadedModel
from .model import DecoderState
from .screened_vocabulary import ScreenedStep, ScreenedVocabulary, screening_applies

MAX_INITIAL_TIMESTAMP = 1.0  # seconds: the first timestamp may not be later than this


@dataclass(frozen=True)
class DecodingOptions:
    task: str = "transcribe"  # or "translate" (multilingual models)
    language: str | None = None  # None: detect (multilingual) or "en" (English-only)
    max_initial_timestamp: float = MAX_INITIAL_TIMESTAMP  # seconds
    suppress_blank: bool = True  # no blank or end-of-text as the first sampled token
    condition_on_previous_text: bool = True  # prompt each window with the text decoded so far
    no_speech_threshold: float = 0.6  # with logprob_threshold, a window above this is skipped as silence
    logprob_threshold: float = -1.0  # mean log-probability under which a window counts as failed
    sample_len: int | None = None  # tokens to sample at most; default half the text context


@dataclass(frozen=True)
class WindowDecoding:
    tokens: tuple[int, ...]  # sampled tokens, timestamps included, end-of-text excluded
    sot_sequence: tuple[int, ...]  # start-of-transcript [, language, task]
    no_speech_probability: float  # probability of <|nospeech|> right after the start sequence
    step_logprobs: Callable[[], list[float]]  # log-probability of each sampled token and end-of-text

    @cached_property
    def avg_logprob(self) -> float:
        """Mean log-probability of the sampled tokens and end-of-text (computed on first use: on CPU it
        costs a (steps, vocab) product, and only windows that look silent need it)."""
        return sum(self.step_logprobs()) / (len(self.tokens) + 1)


def _suppress_mask(model: LoadedModel) -> Tensor:
    """bool (vocab,): tokens never sampled (non-speech symbols and task/control tokens)."""
    return model.derived("suppress_mask", lambda: _make_suppress_mask(model))


def _make_suppress_mask(model: LoadedModel) -> Tensor:
    tok = model.tokenizer
    ids = set(model.suppress_ids) | {tok.sot, tok.sot_prev, tok.sot_lm, tok.no_speech, *tok.task_ids.values()}
    mask = torch.zeros(model.dims.n_vocab, dtype=torch.bool)
    mask[[i for i in ids if 0 <= i < model.dims.n_vocab]] = True
    return mask.to(model.device)


def _begin_ids(model: LoadedModel) -> list[int]:
    return list(model.suppress_ids_begin) or [*model.tokenizer.encode(" "), model.tokenizer.eot]


def mask_by_timestamp_order(logits: Tensor, sampled: list[int], model: LoadedModel, max_initial_index: int | None) -> None:
    """Mask logits (vocab,) in place so timestamps come in increasing pairs (the rules that depend on tokens only)."""
    tok = model.tokenizer
    ts_begin, eot = tok.timestamp_begin, tok.eot
    neg_inf = float("-inf")
    logits[tok.no_timestamps] = neg_inf
    last_ts = len(sampled) >= 1 and sampled[-1] >= ts_begin
    penultimate_ts = len(sampled) < 2 or sampled[-2] >= ts_begin
    if last_ts:
        if penultimate_ts:  # a pair just closed: text must follow
            logits[ts_begin:] = neg_inf
        else:  # a lone timestamp: another timestamp or end-of-text must follow
            logits[:eot] = neg_inf
    timestamps = [t for t in sampled if t >= ts_begin]
    if timestamps:
        # timestamps never decrease, and a segment has non-zero length (else decoding could loop)
        floor = timestamps[-1] if (last_ts and not penultimate_ts) else timestamps[-1] + 1
        logits[ts_begin:floor] = neg_inf
    if not sampled:
        logits[:ts_begin] = neg_inf  # the window starts with a timestamp
        if max_initial_index is not None:
            logits[ts_begin + max_initial_index + 1:] = neg_inf


def mask_text_if_timestamps_win(logits: Tensor, ts_begin: int) -> None:
    """Whisper's last timestamp rule, in place on masked logits (vocab,): when the timestamps together are
    likelier than any text token, only a timestamp may be sampled (decided on the device, no host sync)."""
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    timestamp_wins = logprobs[ts_begin:].logsumexp(dim=-1) > logprobs[:ts_begin].max()
    logits[:ts_begin].masked_fill_(timestamp_wins, float("-inf"))


@torch.inference_mode()
def detect_language(model: LoadedModel, state: DecoderState) -> tuple[str, dict[str, float]]:
    """Most likely language of the window and the probability of each (multilingual models only)."""
    tok = model.tokenizer
    codes = list(tok.language_ids)
    sot = torch.tensor([[tok.sot]], device=model.device)
    probe = DecoderState(state.cross_kv)
    logits, _ = model.model.decoder(sot, probe)
    language_logits = logits[0, -1, [tok.language_ids[c] for c in codes]]
    probs = language_logits.softmax(dim=-1).tolist()
    ranked = dict(sorted(zip(codes, probs), key=lambda kv: -kv[1]))
    return next(iter(ranked)), ranked


def _screened_vocabulary(model: LoadedModel) -> ScreenedVocabulary | None:
    """The int8 screen of the model's vocabulary projection (CPU), built once per model and dropped with it."""
    return model.derived("screened_vocabulary", lambda: _make_screened_vocabulary(model))


def _make_screened_vocabulary(model: LoadedModel) -> ScreenedVocabulary | None:
    weight = model.model.decoder.token_embedding.weight
    if not screening_applies(weight):
        return None
    return ScreenedVocabulary(weight, model.tokenizer.timestamp_begin, model.model.decoder.packed_vocabulary)


def _step_mask(logits: Tensor, first: bool, sampled: list[int], model: LoadedModel, options: DecodingOptions,
               max_initial_index: int | None) -> None:
    """Mask logits (vocab,) in place: blank start, suppressed tokens and the timestamp order."""
    if first and options.suppress_blank:
        logits[_begin_ids(model)] = float("-inf")
    logits.masked_fill_(_suppress_mask(model), float("-inf"))
    mask_by_timestamp_order(logits, sampled, model, max_initial_index)


@torch.inference_mode()
def decode_window(model: LoadedModel, state: DecoderState, sot_sequence: tuple[int, ...],
                  prompt: list[int], options: DecodingOptions,
                  on_step: Callable[[int], None] | None = None) -> WindowDecoding:
    """Greedy decoding of one window; `state` holds the window's cross-attention keys/values.

    `on_step(tokens sampled so far)` is called before each step (it may raise to stop decoding).
    """
    on_step = on_step or _no_step
    tok = model.tokenizer
    n_ctx = model.dims.n_text_ctx
    sample_len = options.sample_len or n_ctx // 2
    prefix = ([tok.sot_prev, *prompt[-(n_ctx // 2 - 1):]] if prompt else []) + list(sot_sequence)
    max_steps = min(sample_len, n_ctx - len(prefix))
    sot_index = prefix.index(tok.sot)
    max_initial_index = round(options.max_initial_timestamp / TIME_PRECISION) if options.max_initial_timestamp else None
    prefix_tensor = torch.tensor([prefix], device=model.device)
    graphed = None
    if use_cuda_graph(model.model):
        graphed = model.derived("graphed_decoder", lambda: graphed_decoder(model.model))
    screen = None if graphed is not None else _screened_vocabulary(model)
    if screen is not None:
        return _decode_screened(model, screen, state, prefix_tensor, sot_index, sot_sequence, max_steps,
                                lambda logits, sampled: _step_mask(logits, not sampled, sampled, model, options,
                                                                   max_initial_index), on_step)
    if graphed is not None:
        logits = graphed.start(state.cross_kv, prefix_tensor, logits_from=sot_index)
    else:
        step_state = DecoderState(state.cross_kv)
        logits, _ = model.model.decoder(prefix_tensor, step_state, logits_from=sot_index)
    no_speech_probability = logits[0, 0].softmax(dim=-1)[tok.no_speech].item()
    next_logits = logits[0, -1]
    sampled: list[int] = []
    logprobs: list[float] = []
    for _ in range(max_steps):
        on_step(len(sampled))
        next_logits = next_logits.clone()
        _step_mask(next_logits, not sampled, sampled, model, options, max_initial_index)
        mask_text_if_timestamps_win(next_logits, tok.timestamp_begin)
        token_tensor = next_logits.argmax()
        logprob = torch.log_softmax(next_logits.float(), dim=-1)[token_tensor]
        token, logprob = torch.stack([token_tensor.double(), logprob.double()]).tolist()  # one host sync
        token = int(token)
        logprobs.append(logprob)
        if token == tok.eot:
            break
        sampled.append(token)
        if graphed is not None:
            next_logits = graphed.step(token_tensor)
        else:
            logits, _ = model.model.decoder(token_tensor.view(1, 1), step_state)
            next_logits = logits[0, -1]
    return WindowDecoding(tuple(sampled), tuple(sot_sequence), no_speech_probability, lambda: logprobs)


def _decode_screened(model: LoadedModel, screen: ScreenedVocabulary, state: DecoderState, prefix_tensor: Tensor,
                     sot_index: int, sot_sequence: tuple[int, ...], max_steps: int,
                     mask_step: Callable[[Tensor, list[int]], None],
                     on_step: Callable[[int], None]) -> WindowDecoding:
    """decode_window's loop on CPU: each token chosen exactly through the int8 screen (screened_vocabulary).

    mask_step(bias, sampled) sets -inf in bias (vocab,) where a token may not follow `sampled`.
    """
    tok = model.tokenizer
    step_state = DecoderState(state.cross_kv)
    hidden, _ = model.model.decoder(prefix_tensor, step_state, logits_from=sot_index, project=False)  # (1, T, state)
    no_speech_probability = screen.all_logits(hidden[0, 0]).softmax(dim=-1)[tok.no_speech].item()
    next_hidden = hidden[0, -1]
    sampled: list[int] = []
    steps: list[ScreenedStep] = []
    for _ in range(max_steps):
        on_step(len(sampled))
        bias = torch.zeros(model.dims.n_vocab)
        mask_step(bias, sampled)
        token, timestamp_wins = screen.choose(next_hidden, bias)
        steps.append(ScreenedStep(token, next_hidden, torch.isinf(bias), timestamp_wins))
        if token == tok.eot:
            break
        sampled.append(token)
        hidden, _ = model.model.decoder(torch.tensor([[token]]), step_state, project=False)
        next_hidden = hidden[0, -1]
    return WindowDecoding(tuple(sampled), tuple(sot_sequence), no_speech_probability, lambda: screen.logprobs(steps))


def _no_step(tokens: int) -> None:
    pass


def split_segments(tokens: tuple[int, ...], ts_begin: int, window_frames: int) -> tuple[list[tuple[float, float, list[int]]], int, bool]:
    """Cut a window's tokens at timestamp pairs.

    Returns ([(start s, end s, tokens)], mel frames to advance, single_timestamp_ending). The start and
    end are relative to the window; the advance is what the next window's seek moves by.
    """
    is_ts = [t >= ts_begin for t in tokens]
    single_ending = is_ts[-2:] == [False, True]
    cuts = [i + 1 for i in range(len(tokens) - 1) if is_ts[i] and is_ts[i + 1]]
    frames_per_step = round(TIME_PRECISION * FRAMES_PER_SECOND)  # mel frames (10 ms) per timestamp step
    if cuts:
        if single_ending:
            cuts.append(len(tokens))
        segments, last = [], 0
        for cut in cuts:
            piece = list(tokens[last:cut])
            start, end = (piece[0] - ts_begin) * TIME_PRECISION, (piece[-1] - ts_begin) * TIME_PRECISION
            segments.append((start, end, piece))
            last = cut
        advance = window_frames if single_ending else (tokens[last - 1] - ts_begin) * frames_per_step
        return segments, advance, single_ending
    duration = window_frames / FRAMES_PER_SECOND
    stamps = [t for t in tokens if t >= ts_begin]
    if stamps and stamps[-1] != ts_begin:
        duration = (stamps[-1] - ts_begin) * TIME_PRECISION
    return [(0.0, duration, list(tokens))], window_frames, single_ending
