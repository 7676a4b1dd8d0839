"""The discovery section: load a `heads discover` report, browse it, apply one of its sets as head set A or B."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ...errors import ReferenceFormatError
from ...evaluation.discovery_report import DiscoveryReport, ReportedSet, read_discovery_report
from ...figures.discovery import candidate_figure, head_distribution_figure
from ...results import AnalysisResult
from .. import state
from . import headgrid
from .heatmap import show

REPORT_KEY = "discovery_report"  # the uploader
SET_KEY = "discovery_set"  # which of the report's sets the apply buttons use
_PARSED = "_discovery_parsed"  # (file id, DiscoveryReport)


def _report() -> DiscoveryReport | None:
    """The uploaded report, parsed once per file; None (error shown) when there is none or it is unreadable."""
    uploaded = st.file_uploader("Discovery report (the JSON of `whisper-viz heads discover --json`)", type=None,
                                key=REPORT_KEY)
    if uploaded is None:
        st.caption("Run `whisper-viz heads discover CLIPS… --refs REFS… --json report.json` (add `--engine ray` for "
                   "a corpus) and load the report here to see how every head did and apply the chosen set.")
        return None
    parsed = st.session_state.get(_PARSED)
    if parsed is None or parsed[0] != uploaded.file_id:
        try:
            parsed = (uploaded.file_id, read_discovery_report(uploaded.getvalue(), uploaded.name))
        except ReferenceFormatError as error:
            st.error(str(error))
            return None
        st.session_state[_PARSED] = parsed
    return parsed[1]


def _ms(seconds: float) -> float | None:
    return None if seconds != seconds else round(1000 * seconds, 1)


def sets_table(report: DiscoveryReport) -> pd.DataFrame:
    """The chosen and official sets, then the candidates: size, heads and MAE (ms)."""
    return pd.DataFrame([{"set": s.name, "heads": len(s.heads), "train MAE (ms)": _ms(s.train_mae),
                          "held-out MAE (ms)": _ms(s.held_out_mae), "layer:head": s.heads.to_text()}
                         for s in report.sets()])


def _apply_a(chosen: ReportedSet) -> None:
    headgrid.apply(chosen.heads)


def _apply_b(chosen: ReportedSet) -> None:
    state.choose(state.HEADS_B, chosen.heads.to_text())


def discovery(result: AnalysisResult) -> None:
    """The whole section for the current analysis."""
    report = _report()
    if report is None:
        return
    clips = report.clips
    st.markdown(f"**{report.model}** · {clips.get('train', 0)} training and {clips.get('held_out', 0)} held-out "
                f"clips · {clips.get('failed', 0)} failed · scored {report.engine or 'in process'}")
    columns = st.columns(4)
    for column, (label, value) in zip(columns, (
            ("chosen, held-out MAE", report.chosen.held_out_mae), ("official, held-out MAE", report.official.held_out_mae),
            ("chosen, train MAE", report.chosen.train_mae), ("official, train MAE", report.official.train_mae))):
        column.metric(label, "–" if value != value else f"{1000 * value:.0f} ms")
    st.markdown(f"Chosen set ({len(report.chosen.heads)} heads): `{report.chosen.heads.to_text()}`")
    fits = report.shape == result.shape
    if not fits:
        st.warning(f"This report is for a decoder of {report.shape[0]} layers x {report.shape[1]} heads; the current "
                   f"model has {result.shape[0]} x {result.shape[1]}, so its sets cannot be applied here.")
    sets = report.sets()
    names = [s.name for s in sets]
    left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    name = left.selectbox("Set to apply", names, key=SET_KEY,
                          format_func=lambda n: f"{n} · {sets[names.index(n)].heads.to_text()}")
    chosen = sets[names.index(name or names[0])]
    middle.button("Apply as set A", key="discovery_apply_a", on_click=_apply_a, args=(chosen,), disabled=not fits,
                  width="stretch")
    right.button("Apply as set B", key="discovery_apply_b", on_click=_apply_b, args=(chosen,), disabled=not fits,
                 width="stretch")
    show(candidate_figure(report), key="discovery_candidates", config={"displayModeBar": False})
    show(head_distribution_figure(report), key="discovery_heads", config={"displayModeBar": False})
    st.dataframe(sets_table(report), hide_index=True, width="stretch")
    if report.failures:
        with st.expander(f"{len(report.failures)} clip(s) could not be scored"):
            st.dataframe(pd.DataFrame(report.failures), hide_index=True, width="stretch")
