"""Named aligners ("presets"): the reference steps and the tuned aligner behind one per-window interface.

A preset says which heads it uses for a result, with which options, and how it turns a result into
one `WindowAlignment` per window (matrix, DTW path, token starts, words). Every preset is registered
here, explicitly, in PRESETS; the app, the CLI, experiments and benchmarks call them only through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ..errors import AlignmentError
from ..heads import HeadSet, parse_heads
from ..results import AnalysisResult, WordTiming
from . import tuned
from .options import AlignmentOptions
from .window import WindowAlignment, align_windows

WindowAligner = Callable[[AnalysisResult, HeadSet, AlignmentOptions], "tuple[WindowAlignment, ...]"]


@dataclass(frozen=True)
class AlignmentPreset:
    """A named way of aligning words: its heads, its options and its per-window aligner."""

    name: str  # key in PRESETS, used in URLs, the CLI and JSON
    label: str  # short name shown in the app
    description: str  # one sentence for help texts
    options: AlignmentOptions
    aligner: WindowAligner  # (result, heads, options) -> one WindowAlignment per window
    heads_for: Callable[[AnalysisResult], object]  # result -> heads (anything `parse_heads` accepts)

    def head_set(self, result: AnalysisResult) -> HeadSet:
        """The heads this preset aligns `result` with."""
        return parse_heads(self.heads_for(result), result.shape, official=result.alignment_heads)

    def align(self, result: AnalysisResult, heads=None,
              options: AlignmentOptions | None = None) -> tuple[WindowAlignment, ...]:
        """One WindowAlignment per window of `result`; heads None = this preset's own heads."""
        head_set = self.head_set(result) if heads is None else parse_heads(
            heads, result.shape, official=result.alignment_heads)
        return self.aligner(result, head_set, options or self.options)


REFERENCE = AlignmentPreset(
    "reference", "Reference DTW", "openai-whisper's steps: mean of the heads, median filter, DTW, word heuristics.",
    AlignmentOptions(), align_windows, lambda result: "official")
TUNED = AlignmentPreset(
    "tuned", "whisper-viz tuned", tuned.DESCRIPTION, tuned.TUNED_OPTIONS, tuned.align_tuned_windows, tuned.tuned_heads)

PRESETS: dict[str, AlignmentPreset] = {preset.name: preset for preset in (REFERENCE, TUNED)}


def get_preset(name: str) -> AlignmentPreset:
    """The preset called `name`; AlignmentError listing the known ones otherwise."""
    if name not in PRESETS:
        raise AlignmentError(f"unknown alignment preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def align_words(result: AnalysisResult, heads=None, *, normalization: str | None = None,
                medfilt_width: int | None = None, postprocess: bool | None = None,
                preset: str | None = None, options: AlignmentOptions | None = None) -> tuple[WordTiming, ...]:
    """Word timings of every window of `result` with the given heads and options.

    heads: anything `parse_heads` accepts; None = the preset's heads ("official" for the reference).
    preset: a name in PRESETS giving heads, options and aligner; explicit arguments override it.
    """
    chosen = get_preset(preset) if preset is not None else REFERENCE
    options = options or chosen.options
    overrides = dict(normalization=normalization, medfilt_width=medfilt_width, postprocess=postprocess)
    options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
    return tuple(w for window in chosen.align(result, heads, options) for w in window.words)
