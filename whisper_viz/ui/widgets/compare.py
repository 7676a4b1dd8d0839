"""A/B comparison: two head sets side by side, per-word timing differences and set-level metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from ...alignment.presets import REFERENCE
from ...errors import AlignmentError, HeadSetError
from ...evaluation.metrics import score_words
from ...evaluation.scoring import SetScore
from ...figures.attention import word_shift_figure
from ...heads import HeadSet, parse_heads
from ...results import AnalysisResult, WordTiming
from .. import state
from .aligned import AlignedView, aligned_view, reference, set_score
from .heatmap import heatmap, show
from .reference_check import reference_columns, reference_upload

MOVED_MS = 20  # a word boundary that moved more than this (one encoder frame) counts as moved
B_PRESETS = {"official": "Official", "upper": "Upper half", "all": "All"}


def _set_b(text: str) -> None:
    st.session_state[state.HEADS_B] = text


def head_set_b(result: AnalysisResult, heads_a: HeadSet) -> HeadSet | None:
    """The B side's head set from its text box and quick buttons; None (error shown) when unreadable."""
    state.remember(state.HEADS_B, "official")
    columns = st.columns([3, 1, 1, 1, 1], vertical_alignment="bottom")
    text = columns[0].text_input("Head set B (preset, layer:head list or base85 dump)", key=state.HEADS_B)
    state.keep(state.HEADS_B)
    for column, (name, label) in zip(columns[1:], B_PRESETS.items()):
        column.button(label, key=f"b_{name}", on_click=_set_b, args=(name,), width="stretch")
    columns[-1].button("Copy A", key="b_copy_a", on_click=_set_b, args=(heads_a.to_text() or "none",),
                       width="stretch")
    try:
        return parse_heads(text, result.shape, official=result.alignment_heads)
    except HeadSetError as error:
        st.error(f"Head set B: {error}")
        return None


def timing_differences(words_a: Sequence[WordTiming], words_b: Sequence[WordTiming]) -> pd.DataFrame:
    """Per word: A and B start/end (s) and B − A (ms). Both alignments share the transcript's words."""
    return pd.DataFrame({
        "word": [a.word.strip() for a in words_a],
        "A start": [round(a.start, 2) for a in words_a], "A end": [round(a.end, 2) for a in words_a],
        "B start": [round(b.start, 2) for b in words_b], "B end": [round(b.end, 2) for b in words_b],
        "Δ start (ms)": [round(1000 * (b.start - a.start)) for a, b in zip(words_a, words_b)],
        "Δ end (ms)": [round(1000 * (b.end - a.end)) for a, b in zip(words_a, words_b)],
    })


def set_metrics(words_a: Sequence[WordTiming], words_b: Sequence[WordTiming]) -> dict[str, float]:
    """Mean and largest |B − A| of word starts and ends (ms), and how many words moved."""
    start = np.abs([1000 * (b.start - a.start) for a, b in zip(words_a, words_b)])
    end = np.abs([1000 * (b.end - a.end) for a, b in zip(words_a, words_b)])
    if not len(start):
        return {"mean |Δ start| (ms)": 0.0, "mean |Δ end| (ms)": 0.0, "max |Δ| (ms)": 0.0, "words moved": 0}
    moved = int(((start > MOVED_MS) | (end > MOVED_MS)).sum())
    return {"mean |Δ start| (ms)": float(start.mean()), "mean |Δ end| (ms)": float(end.mean()),
            "max |Δ| (ms)": float(max(start.max(), end.max())), "words moved": moved}


def set_table(scores: dict[str, SetScore], with_reference: bool) -> pd.DataFrame:
    """One row per head set: the combined score and its terms (errors in ms, shares in %)."""
    rows = []
    for name, score in scores.items():
        row = {"set": name, "score": round(score.score, 3), "monotonicity": round(score.monotonicity, 3),
               "concentration": round(score.concentration, 3),
               "within 50 ms of official": _percent(score.consensus_within_50ms)}
        if with_reference:
            row |= {"start MAE (ms)": _ms(score.start_error), "end MAE (ms)": _ms(score.end_error),
                    "within 20 ms": _percent(score.within_20ms), "within 50 ms": _percent(score.within_50ms),
                    "within 100 ms": _percent(score.within_100ms), "boundaries": score.n_boundaries}
        rows.append(row)
    return pd.DataFrame(rows)


def with_errors_of(score: SetScore, words: Sequence[WordTiming], ref) -> SetScore:
    """`score` with its reference-error fields taken from `words` (e.g. another aligner's timings)."""
    accuracy = score_words(words, ref)
    return replace(score, start_error=accuracy.start_mae, end_error=accuracy.end_mae, within_20ms=accuracy.within_20ms,
                   within_50ms=accuracy.within_50ms, within_100ms=accuracy.within_100ms, n_boundaries=accuracy.boundaries)


def compare(result: AnalysisResult, view_a: AlignedView, zoom: tuple[float, float] | None) -> None:
    """The whole A/B section for set A's aligned view, heatmaps zoomed to `zoom` seconds."""
    heads_b = head_set_b(result, view_a.heads)
    with st.expander("Reference timings", expanded=reference(result) is not None):
        reference_upload(result)
    if heads_b is None:
        return
    try:
        view_b = aligned_view(result, heads_b, view_a.options)
    except AlignmentError as error:
        st.warning(f"Head set B cannot align: {error}")
        return
    left, right = st.columns(2)
    with left:
        heatmap(result, view_a, zoom, title=f"A · {_describe(view_a.heads)}", key="heatmap_a_cmp")
    with right:
        heatmap(result, view_b, zoom, title=f"B · {_describe(heads_b)}", key="heatmap_b_cmp")
    ref = reference(result)
    options = view_a.options.alignment
    scores = {"A": set_score(result, view_a.heads, options), "B": set_score(result, heads_b, options)}
    if ref and view_a.options.aligner != REFERENCE.name:  # errors of the words shown, not of the reference DTW
        scores = {name: with_errors_of(score, view.words, ref)
                  for (name, score), view in zip(scores.items(), (view_a, view_b))}
        st.caption(f"Reference errors are those of the words shown ({state.ALIGNERS[view_a.options.aligner]} "
                   "aligner); the other columns score each head set with the reference DTW.")
    st.dataframe(set_table(scores, ref is not None), hide_index=True, width="stretch")
    metrics = set_metrics(view_a.words, view_b.words)
    for column, (name, value) in zip(st.columns(len(metrics)), metrics.items()):
        column.metric(f"A vs B: {name}", f"{value:.0f}")
    if not view_a.words:
        return
    show(word_shift_figure(view_a.words, view_b.words), key="word_shift", config={"displayModeBar": False})
    table = timing_differences(view_a.words, view_b.words)
    if ref:
        table = pd.concat([table, reference_columns(view_a.words, view_b.words, ref)], axis=1)
    st.dataframe(table, hide_index=True, width="stretch")


def _describe(heads: HeadSet) -> str:
    return f"{len(heads)} heads: {heads.to_text() or 'none'}"


def _ms(seconds: float) -> float | None:
    return None if seconds != seconds else round(1000 * seconds)


def _percent(share: float) -> str:
    return "–" if share != share else f"{100 * share:.0f}%"
