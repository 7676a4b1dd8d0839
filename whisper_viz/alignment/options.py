"""How captured attention becomes word timings: the options every aligner takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AlignmentError

NORMALIZATIONS = ("reference", "ct2", "l2", "none")  # across tokens per frame; see matrices.normalize_attention


@dataclass(frozen=True)
class AlignmentOptions:
    """How attention becomes word timings."""

    normalization: str = "reference"  # across tokens per frame: "reference" | "ct2" | "l2" | "none"
    medfilt_width: int = 7  # median filter along time, in frames (odd; 1 = off)
    postprocess: bool = True  # openai-whisper's word-duration heuristics; False shows raw DTW
    prepend_punctuations: str = "\"'“¿([{-"  # merged into the following word
    append_punctuations: str = "\"'.。,，!！?？:：”)]}、"  # merged into the previous word

    def __post_init__(self):
        if self.normalization not in NORMALIZATIONS:
            raise AlignmentError(
                f"unknown normalization {self.normalization!r}; use one of {', '.join(NORMALIZATIONS)}"
            )
        width = self.medfilt_width
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1 or width % 2 == 0:
            raise AlignmentError(f"medfilt_width must be a positive odd number of frames, got {width!r}")
