"""`analyze`: audio -> transcript (or forced text) -> every window's cross-attention -> word timings."""

from dataclasses import replace

import numpy as np
import torch

from ..alignment.silence_cut import cut_audio, find_silence_cut
from ..alignment.window import align_window
from ..constants import FRAMES_PER_SECOND, N_FRAMES, N_SAMPLES, SAMPLE_RATE
from ..errors import AudioError, DecodingError
from ..results import AnalysisResult, Segment, WindowCapture, WordTiming
from .audio import MAX_AUDIO_SECONDS, load_audio, log_mel_spectrogram, pad_or_trim
from .capture import capture_window
from .decoding import DecodingOptions, decode_window, detect_language, split_segments
from .limits import AnalysisLimits, AnalysisWatch, ProgressCallback, model_turn
from .loading import LoadedModel
from .model import DecoderState

FORCED_EDGE_MARGIN = 1.0  # seconds: in long forced mode, words ending this close to a window's end move on


def _window_words(model: LoadedModel, capture: WindowCapture, last_speech: float = 0.0,
                  segments: tuple[Segment, ...] = ()) -> tuple[WordTiming, ...]:
    """Word timings of one window with the official heads and the reference options."""
    if not capture.text_tokens:
        return ()
    return align_window(capture, model.official_heads, last_speech=last_speech, segments=segments).words


def _resolve_language(model: LoadedModel, language: str | None, task: str) -> str | None:
    tok = model.tokenizer
    if not tok.is_multilingual:
        if language not in (None, "en"):
            raise DecodingError(f"{model.name} is an English-only model; it cannot use language {language!r}. "
                                "Pick a multilingual model such as 'base' for other languages.")
        tok.sot_sequence(None, task)  # raises for translate
        return "en"
    if language is not None:
        tok.sot_sequence(language, task)  # validates the code
    return language


class _Windows:
    """Encodes 30 s windows of one log-mel spectrogram on demand."""

    def __init__(self, model: LoadedModel, audio: np.ndarray, watch: AnalysisWatch | None = None):
        self.model = model
        self.watch = watch or AnalysisWatch(AnalysisLimits(), len(audio) / SAMPLE_RATE)  # default bounds
        self.mel = log_mel_spectrogram(audio, model.dims.n_mels, padding=N_SAMPLES, device=model.device)
        self.content_frames = self.mel.shape[-1] - N_FRAMES  # mel frames of real audio (10 ms)

    @torch.inference_mode()
    def encode(self, seek: int) -> tuple[DecoderState, int]:
        """(decoder state with cross keys/values, mel frames of real audio) for the window at `seek`."""
        self.watch.start_window(seek / FRAMES_PER_SECOND)
        size = min(N_FRAMES, self.content_frames - seek)
        segment = pad_or_trim(self.mel[:, seek: seek + size], N_FRAMES).to(self.model.dtype)
        features = self.model.model.encoder(segment.unsqueeze(0))
        if not bool(torch.isfinite(features).all()):  # NaN logits would break the timestamp rules
            raise AudioError("The model's encoder gave non-finite values for this audio (corrupt or extreme "
                             "samples); check the file, or rescale its samples to [-1, 1].")
        return self.model.model.decoder.start(features), size


def _transcribe(model: LoadedModel, windows: _Windows, language: str | None, options: DecodingOptions):
    tok = model.tokenizer
    captures, segments, words, all_tokens = [], [], [], []
    prompt_start, seek = 0, 0
    while seek < windows.content_frames:
        offset = seek / FRAMES_PER_SECOND
        state, size = windows.encode(seek)
        if language is None:
            language = detect_language(model, state)[0]
        sot_sequence = tok.sot_sequence(language if tok.is_multilingual else None, options.task)
        prompt = all_tokens[prompt_start:] if options.condition_on_previous_text else []
        # a window cannot align more tokens than it has 20 ms frames: on a short tone or noise, where the
        # decoder may fill the window with 224 tokens, stop there (speech has ~3 tokens a second)
        window_options = replace(options, sample_len=min(options.sample_len or model.dims.n_text_ctx // 2,
                                                         max(1, size // 2 - 1)))
        decoded = decode_window(model, state, sot_sequence, prompt, window_options, on_step=windows.watch.step)
        skip = (decoded.no_speech_probability > options.no_speech_threshold
                and decoded.avg_logprob <= options.logprob_threshold)
        pieces, advance, single_ending = ([], size, True) if skip else split_segments(decoded.tokens, tok.timestamp_begin, size)
        text_tokens = [t for _, _, piece in pieces for t in piece if t < tok.eot]
        capture = capture_window(model, state, text_tokens, index=len(captures), offset=offset, num_frames=size // 2,
                                 sot_sequence=sot_sequence, language=language,
                                 no_speech_probability=decoded.no_speech_probability)
        window_segments = tuple(Segment(offset + start, offset + end, tok.decode(piece), capture.index)
                                for start, end, piece in pieces)
        window_words = _window_words(model, capture, words[-1].end if words else 0.0, window_segments)
        captures.append(capture)
        words.extend(window_words)
        segments.extend(s for s in window_segments if s.text.strip())
        # instantaneous or empty segments do not prompt the next window (as in openai-whisper)
        all_tokens.extend(t for s, (_, _, piece) in zip(window_segments, pieces)
                          if s.start != s.end and s.text.strip() for t in piece)
        start = seek
        # an advance of 0 (openai-whisper would decode the same window forever) needs non-finite logits
        seek += advance if advance > 0 else size
        if window_words and not single_ending and window_words[-1].end > offset:
            # resume after the last aligned word
            seek = max(start + 1, round(window_words[-1].end * FRAMES_PER_SECOND))
        windows.watch.end_window()
    return captures, segments, words, language


def _forced(model: LoadedModel, windows: _Windows, language: str | None, text: str, task: str):
    """Teacher-force the given transcript; over 30 s, each window keeps the words DTW places inside it."""
    tok = model.tokenizer
    remaining = tok.encode(" " + text.strip()) if text.strip() else []
    if not remaining:
        raise DecodingError("The transcript to align is empty; paste the words spoken in the audio.")
    captures, segments, words, seek = [], [], [], 0
    while seek < windows.content_frames and remaining:
        offset = seek / FRAMES_PER_SECOND
        state, size = windows.encode(seek)
        if language is None:
            language = detect_language(model, state)[0]
        sot_sequence = tok.sot_sequence(language if tok.is_multilingual else None, task)
        room = model.dims.n_text_ctx - len(sot_sequence) - 2  # no_timestamps and eot take the rest
        last = seek + size >= windows.content_frames
        if last and len(remaining) > room:
            raise DecodingError(f"The transcript has {len(remaining)} tokens left for the final 30 s window, more than "
                                f"the {room} Whisper can attend to; check that it matches the audio.")
        take = remaining[:room]
        kwargs = dict(index=len(captures), offset=offset, num_frames=size // 2, sot_sequence=sot_sequence,
                      language=language, no_speech_probability=0.0)
        capture = capture_window(model, state, take, **kwargs)
        window_words = _window_words(model, capture, words[-1].end if words else 0.0)
        if not last:
            # keep whole words that end inside the window (at least one, so the audio moves on)
            limit = offset + size / FRAMES_PER_SECOND - FORCED_EDGE_MARGIN
            keep = [w for w in window_words if w.end <= limit] or list(window_words[:1])
            n_tokens = max(w.token_indices[-1] for w in keep) + 1
            if n_tokens < len(take):
                capture = capture_window(model, state, take[:n_tokens], **kwargs)
                window_words = _window_words(model, capture, words[-1].end if words else 0.0)
            take = take[:n_tokens]
            seek = max(seek + 1, round(window_words[-1].end * FRAMES_PER_SECOND))
        remaining = remaining[len(take):]
        windows.watch.end_window()
        captures.append(capture)
        words.extend(window_words)
        if window_words:
            segments.append(Segment(window_words[0].start, window_words[-1].end, capture.text, capture.index))
        if last:
            break
    if remaining:
        raise DecodingError("The audio ended before the whole transcript could be aligned; "
                            "check that the transcript matches the audio.")
    return captures, segments, words, language


def _analyze_samples(model: LoadedModel, samples: np.ndarray, language: str | None, text: str | None,
                     options: DecodingOptions, limits: AnalysisLimits, progress: ProgressCallback | None) -> AnalysisResult:
    """One analysis of float32 16 kHz `samples` (the caller holds the model's turn)."""
    duration = len(samples) / SAMPLE_RATE
    windows = _Windows(model, samples, AnalysisWatch(limits, duration, progress))
    if text is not None:
        captures, segments, words, language = _forced(model, windows, language, text, options.task)
    else:
        captures, segments, words, language = _transcribe(model, windows, language, options)
    if not captures:  # audio shorter than one mel frame
        state, size = windows.encode(0)
        captures = [capture_window(model, state, [], index=0, offset=0.0, num_frames=max(1, size // 2),
                                   sot_sequence=model.tokenizer.sot_sequence(language or "en", options.task),
                                   language=language or "en", no_speech_probability=1.0)]
    transcript = "".join(c.text for c in captures).strip()
    return AnalysisResult(model_name=model.name, language=language or "en", task=options.task, text=transcript,
                          duration=duration, windows=tuple(captures), segments=tuple(segments),
                          words=tuple(words), alignment_heads=model.official_heads.copy(), forced=text is not None,
                          no_speech=not transcript, audio=samples)


def analyze(model: LoadedModel, audio, language: str | None = None, text: str | None = None, *,
            task: str = "transcribe", options: DecodingOptions | None = None,
            max_seconds: float = MAX_AUDIO_SECONDS, limits: AnalysisLimits | None = None,
            progress: ProgressCallback | None = None, without_silence: bool = True) -> AnalysisResult:
    """Transcribe `audio` (path, file bytes or float32 16 kHz array), or align the given `text` (forced mode).

    Captures the cross-attention of every layer and head for each 30 s window and aligns words with the
    model's official heads. Audio holding runs of digital silence (alignment/silence_cut.py) is analysed
    again without them, in the same mode, as the result's `without_silence`, where the tuned aligner times
    words (`without_silence=False` skips that pass: head scoring and discovery use the reference steps only).
    `limits` bounds the work (windows, tokens per window, wall time; a bound passed raises
    LimitExceeded), each pass alike; audio over `max_seconds` (or limits.max_audio_seconds) is refused.
    `progress(AnalysisProgress)` is called between windows and decoding steps; raising from it cancels.
    The model runs under `model.lock`: sessions sharing a model take turns.
    """
    limits = limits or AnalysisLimits()
    samples = load_audio(audio, max_seconds=min(max_seconds, limits.max_audio_seconds))
    options = options or DecodingOptions(task=task, language=language)
    if limits.max_tokens_per_window is not None:
        options = replace(options, sample_len=min(options.sample_len or limits.max_tokens_per_window,
                                                  limits.max_tokens_per_window))
    language = _resolve_language(model, language or options.language, options.task)
    cut = find_silence_cut(samples) if without_silence else None
    with model_turn(model.lock, len(samples) / SAMPLE_RATE, progress):
        result = _analyze_samples(model, samples, language, text, options, limits, progress)
        if cut is None or result.no_speech:
            return result
        # the caller's language, not the detected one: the shortened clip is analysed as if it had come alone
        try:
            shortened = _analyze_samples(model, cut_audio(samples, cut), language, text, options, limits, progress)
        except (AudioError, DecodingError):  # e.g. the transcript does not fit the shortened clip: time words
            return result  # on the clip itself
    return replace(result, without_silence=shortened, silence_cut=cut)
