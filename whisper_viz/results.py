"""What an analysis computed: tokens, per-window cross-attention captures, word timings."""

from dataclasses import dataclass, field

import numpy as np

from .constants import SAMPLE_RATE, SECONDS_PER_ENCODER_FRAME


@dataclass(frozen=True)
class Token:
    id: int  # vocabulary id
    text: str  # the token decoded alone (may hold U+FFFD where a character spans tokens)
    raw: bytes  # the token's UTF-8 bytes, so words can be rebuilt without the tokenizer
    probability: float  # model probability of this token given the tokens before it
    special: bool = False  # True for end-of-text and other non-text tokens


@dataclass(frozen=True)
class WordTiming:
    word: str  # the word as it appears in the transcript, with its leading space
    start: float  # seconds from the start of the audio
    end: float  # seconds from the start of the audio
    probability: float  # mean probability of the word's tokens
    window: int = 0  # index of the 30 s window the word was aligned in
    token_indices: tuple[int, ...] = ()  # rows of that window's attention that make up the word
    confidence: float | None = None  # 0..1, the tuned aligner's estimate that both edges are right; None otherwise


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float  # seconds
    text: str
    window: int  # index of the window it was decoded in


@dataclass(frozen=True, eq=False)
class WindowCapture:
    """Cross-attention of every decoder layer and head for one 30 s window.

    Row i of `attention` is where the decoder looked while predicting `tokens[i]`; the last
    row predicts end-of-text. Softmax is taken over the window's real-audio frames only.
    """

    index: int  # window number, from 0
    offset: float  # seconds from the start of the audio to the start of this window
    num_frames: int  # encoder frames of real audio (20 ms each) kept in `attention`
    attention: np.ndarray  # float16 (layers, heads, tokens, frames)
    tokens: tuple[Token, ...]  # text tokens, then end-of-text
    sot_sequence: tuple[int, ...]  # start-of-transcript, language, task tokens that preceded them
    text: str  # transcript of this window
    language: str  # language code used for this window
    no_speech_probability: float  # probability of <|nospeech|> at the first decoding step
    # float16 (layers, heads, rows, frames): the start-sequence rows and the row at end-of-text; they are
    # not aligned, but join the per-frame normalization statistics exactly as in Whisper's find_alignment
    context_attention: np.ndarray | None = None

    @property
    def duration(self) -> float:
        """Seconds of real audio in this window."""
        return self.num_frames * SECONDS_PER_ENCODER_FRAME

    @property
    def text_tokens(self) -> tuple[Token, ...]:
        return tuple(t for t in self.tokens if not t.special)

    @property
    def nbytes(self) -> int:
        """Bytes of its attention arrays (what a cache of captures must budget)."""
        context = 0 if self.context_attention is None else self.context_attention.nbytes
        return self.attention.nbytes + context


@dataclass(frozen=True)
class SilenceCut:
    """Stretches of digital silence taken out of a clip, and the map from the shortened clip's seconds back.

    alignment/silence_cut.py finds them; `analyze` analyses the clip again without them (the result's
    `without_silence`), and the tuned aligner times words there, so inserted silence cannot move them.
    """

    runs: tuple[tuple[int, int], ...]  # (first sample, samples) of each run taken out, in the original, in order

    @property
    def seconds(self) -> float:
        """Seconds taken out in all."""
        return sum(length for _, length in self.runs) / SAMPLE_RATE

    def cut_points(self) -> np.ndarray:
        """float64 (runs,): where each run was, in seconds of the shortened clip."""
        removed_before = np.cumsum([0] + [length for _, length in self.runs[:-1]])
        return (np.array([start for start, _ in self.runs], np.float64) - removed_before) / SAMPLE_RATE

    def to_original(self, seconds: float, is_end: bool) -> float:
        """A time in the shortened clip -> seconds in the original. At a cut point, an end stays before the
        run taken out and a start goes after it."""
        points = self.cut_points()
        passed = points < seconds if is_end else points <= seconds
        return float(seconds + sum(length for (_, length), p in zip(self.runs, passed) if p) / SAMPLE_RATE)


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Transcript, every window's cross-attention capture and the official-head word timings."""

    model_name: str  # name or path the model was loaded from
    language: str  # detected or requested language code
    task: str  # "transcribe" or "translate"
    text: str  # full transcript
    duration: float  # seconds of audio analysed
    windows: tuple[WindowCapture, ...]
    segments: tuple[Segment, ...]
    words: tuple[WordTiming, ...]  # aligned with the model's official alignment heads
    alignment_heads: np.ndarray  # bool (layers, heads): the model's official heads
    forced: bool  # True when the transcript was given by the user and teacher-forced
    no_speech: bool  # True when no speech was found (empty transcript)
    audio: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.float32))  # float32 16 kHz mono
    # the same analysis of `audio` with the runs of `silence_cut` taken out, when it holds digital silence
    without_silence: "AnalysisResult | None" = field(default=None, repr=False)
    silence_cut: SilenceCut | None = None

    @property
    def attention(self) -> np.ndarray:
        """float16 (layers, heads, tokens, frames) of the first window (the whole clip when ≤ 30 s)."""
        return self.windows[0].attention

    @property
    def tokens(self) -> tuple[Token, ...]:
        """Text tokens of all windows, in order (end-of-text tokens left out)."""
        return tuple(t for w in self.windows for t in w.text_tokens)

    @property
    def nbytes(self) -> int:
        """Bytes of its captures and audio (what a cache of analyses must budget)."""
        extra = self.without_silence.nbytes if self.without_silence is not None else 0
        return sum(w.nbytes for w in self.windows) + self.audio.nbytes + extra

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, heads) of the decoder's cross-attention."""
        return tuple(self.alignment_heads.shape)
