"""Reference timings in the A/B section: upload true word times; both head sets are scored against them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ...errors import ReferenceFormatError
from ...evaluation.references import (
    ReferenceWord,
    match_words,
    read_reference,
    split_phrases,
)
from ...results import AnalysisResult, WordTiming
from .aligned import reference, set_reference

REFERENCE_KEY = "reference_upload"


def reference_upload(result: AnalysisResult) -> None:
    """The upload box; a readable file becomes this analysis's reference (scores then use it)."""
    # no `type=`: Streamlit would raise on other suffixes before the page runs; read_reference explains
    uploaded = st.file_uploader("Reference word timings (JSON, CSV, TextGrid, SRT or WebVTT)", key=REFERENCE_KEY)
    if uploaded is None:
        if reference(result) is not None:
            set_reference(result, None)
        st.caption("Upload true word timings to score both head sets (and every head) against them.")
        return
    try:
        words = read_reference(uploaded.getvalue(), uploaded.name)
    except ReferenceFormatError as error:
        set_reference(result, None)
        st.error(str(error))
        return
    if not words:
        st.warning(f"{uploaded.name} holds no words.")
    current = reference(result)
    if current is None or current != words:
        set_reference(result, words)
    st.caption(f"{uploaded.name}: {len(words)} reference items.")


def reference_columns(words: Sequence[WordTiming], words_b: Sequence[WordTiming],
                      ref: Sequence[ReferenceWord]) -> pd.DataFrame:
    """Per word: reference start/end and each set's start error (predicted − reference, ms); blank when unmatched."""
    ref = split_phrases(ref)
    matched = dict(match_words(words, ref))
    rows = []
    for i, (a, b) in enumerate(zip(words, words_b)):
        j = matched.get(i)
        r = ref[j] if j is not None else None
        rows.append({"ref start": None if r is None else r.start, "ref end": None if r is None else r.end,
                     "A start err (ms)": _ms(a.start, r.start if r else None),
                     "B start err (ms)": _ms(b.start, r.start if r else None),
                     "A end err (ms)": _ms(a.end, r.end if r else None),
                     "B end err (ms)": _ms(b.end, r.end if r else None)})
    return pd.DataFrame(rows)


def _ms(predicted: float, true: float | None) -> float | None:
    if true is None or true != true:  # unknown inside a split phrase (NaN)
        return None
    return round(1000 * (predicted - true))
