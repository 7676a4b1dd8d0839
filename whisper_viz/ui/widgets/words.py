"""The word table and the player that plays exactly the chosen word's span of audio."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from ...alignment.confidence import CONFIDENT_WITHIN_SECONDS, UNSURE_BELOW
from ...constants import SAMPLE_RATE
from ...results import WordTiming

TABLE_KEY = "word_table"
TABLE_HEIGHT_PX = 360


def word_audio(audio: np.ndarray, word: WordTiming) -> np.ndarray:
    """The samples (float32, 16 kHz) from the word's start to its end: exactly its span, no rounding to seconds."""
    start = max(0, int(word.start * SAMPLE_RATE))
    end = min(len(audio), int(word.end * SAMPLE_RATE))
    return audio[start:max(start, end)]


def word_frame(words: Sequence[WordTiming]) -> pd.DataFrame:
    """One row per word: text, start, end, duration (s) and probability; with an aligner that rates its words,
    its confidence and a ⚠ on the words it is unsure of."""
    frame = pd.DataFrame({
        "word": [w.word.strip() for w in words],
        "start (s)": [round(w.start, 2) for w in words],
        "end (s)": [round(w.end, 2) for w in words],
        "duration (s)": [round(w.end - w.start, 2) for w in words],
        "probability": [round(float(w.probability), 3) for w in words],
    })
    if words and all(w.confidence is not None for w in words):
        frame.insert(1, "sure", ["⚠" if w.confidence < UNSURE_BELOW else "" for w in words])
        frame["confidence"] = [float(w.confidence) for w in words]
    return frame


CONFIDENCE_COLUMN = st.column_config.ProgressColumn(
    "confidence", min_value=0.0, max_value=1.0, format="%.2f",
    help=f"The tuned aligner's estimate that both edges are within {CONFIDENT_WITHIN_SECONDS * 1000:.0f} ms of where "
         f"a person would put them; ⚠ marks words under {UNSURE_BELOW}.")


def word_table(words: Sequence[WordTiming], audio: np.ndarray) -> None:
    """The table; selecting a row plays that word."""
    if not words:
        st.info("No words to show: the transcript is empty.")
        return
    frame = word_frame(words)
    event = st.dataframe(frame, key=TABLE_KEY, on_select="rerun", selection_mode="single-row",
                         hide_index=True, height=TABLE_HEIGHT_PX, width="stretch",
                         column_config={"confidence": CONFIDENCE_COLUMN})
    if "sure" in frame:
        unsure = int((frame["sure"] != "").sum())
        st.caption(f"⚠ {unsure} of {len(words)} words: the aligner is unsure of them (confidence under {UNSURE_BELOW})."
                   if unsure else "The aligner is sure of every word.")
    rows = event.selection.rows if event is not None else []
    if not rows or rows[0] >= len(words):
        st.caption("Select a row to play that word.")
        return
    word = words[rows[0]]
    samples = word_audio(audio, word)
    st.markdown(f"**{word.word.strip()}** · {word.start:.2f}–{word.end:.2f} s")
    if len(samples):
        st.audio(samples, sample_rate=SAMPLE_RATE, autoplay=True)
    else:
        st.caption("This word has no duration to play.")
