"""How sure the tuned aligner is of a word: whether halves of its heads agree on where the word is.

The tuned aligner places each word three times: with all its heads, and with each half of them. Where the
heads agree, the three placements coincide; where the attention is ambiguous (a misheard word, untranscribed
sound nearby, a head that lost its way) they drift apart. The largest edge disagreement is mapped to [0, 1] by a
logistic curve fitted per model on the real-speech dev split (bench/accuracy/tuning_search.py; the tuned
settings carry it): the confidence estimates the chance that both edges are within CONFIDENT_WITHIN_SECONDS of
where a person would put them.
"""

from __future__ import annotations

import math

CONFIDENT_WITHIN_SECONDS = 0.1  # what the confidence is the probability of: both edges this close
CONFIDENCE_CENTER = 0.1  # seconds of disagreement at which the chance is one half (models the search has not seen)
CONFIDENCE_SLOPE = 8.0  # steepness of the logistic curve, per second of disagreement
UNSURE_BELOW = 0.5  # the app marks words under this confidence


def word_confidence(disagreement: float, center: float = CONFIDENCE_CENTER, slope: float = CONFIDENCE_SLOPE) -> float:
    """Confidence in [0, 1] of a word whose placements by all heads and by each half disagree by `disagreement`
    seconds at most (on either edge), on the curve through one half at `center` seconds with `slope`."""
    return round(1.0 / (1.0 + math.exp(slope * (disagreement - center))), 3)
