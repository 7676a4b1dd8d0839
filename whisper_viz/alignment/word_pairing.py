"""Which words of two transcripts of the same audio correspond: compared in a normal form, paired in order.

The tuned aligner pairs the words of a clip with those of the clip without its digital silence
(silence_cut.py); evaluation pairs predicted words with reference words (evaluation/references.py).
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Sequence


def normalize_word(word: str) -> str:
    """Compare form of a word: NFKC, case-folded, without punctuation, symbols or spaces."""
    text = unicodedata.normalize("NFKC", word).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def match_words(hypothesis: Sequence, reference: Sequence, substitutions: bool = True) -> tuple[tuple[int, int], ...]:
    """(hypothesis index, reference index) pairs of words that correspond, in order.

    Words are compared in `normalize_word` form and aligned with difflib; with `substitutions`,
    equally long runs of differing words between matches are paired one to one. Items may be
    strings or objects with a `.word`.
    """
    hyp = [normalize_word(getattr(w, "word", w)) for w in hypothesis]
    ref = [normalize_word(getattr(w, "word", w)) for w in reference]
    matcher = difflib.SequenceMatcher(None, hyp, ref, autojunk=False)
    pairs = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (substitutions and tag == "replace" and i2 - i1 == j2 - j1):
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
    return tuple((i, j) for i, j in pairs if hyp[i] or ref[j])
