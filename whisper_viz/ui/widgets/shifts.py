"""A silence experiment as the Silence lab and Teach pages show it: run once for every session, its shift
error against silence duration, and its per-word shift table."""

import pandas as pd
import streamlit as st

from ...experiments.silence import BROKEN_SECONDS, SilenceExperiment, SilenceOptions, SweepPoint, run_silence_experiment
from ...figures.experiments import shift_error_figure
from ...results import AnalysisResult
from ..resources import APP_LIMITS, keep_in_session, shared_analyses, shared_model


def shared_experiment(original: AnalysisResult, key, audio, text: str, model_name: str, options: SilenceOptions,
                      progress=None) -> SilenceExperiment:
    """The experiment on `original`'s clip (its bytes or samples as `audio`) aligned to `text`, run once for
    every session under `key` and kept in this session's memory under it. Raises WhisperVizError."""
    experiment = shared_analyses().derived(original, key, lambda: run_silence_experiment(
        shared_model(model_name, "auto"), audio, options, text=text, limits=APP_LIMITS, progress=progress))
    keep_in_session(key, experiment)
    return experiment


def sweep_chart(experiment: SilenceExperiment, key: str) -> tuple[SweepPoint, ...]:
    """Draw the mean and worst shift error against silence duration, one line per head set; returns the sweep."""
    sweep = experiment.sweep()
    labels = experiment.options.heads
    durations = [v.duration for v in experiment.variants]
    mean = {h: [p.mean_abs_error for p in sweep if p.heads == h] for h in labels}
    worst = {h: [p.max_abs_error for p in sweep if p.heads == h] for h in labels}
    st.plotly_chart(shift_error_figure(durations, mean, worst, limit=BROKEN_SECONDS), key=key)
    return sweep


def shift_frame(experiment: SilenceExperiment, duration: float, heads: str) -> pd.DataFrame:
    """One row per word of one variant and head set: expected and measured shifts (s) and the error."""
    rows = [s for s in experiment.shifts if s.duration == duration and s.heads == heads]
    return pd.DataFrame({
        "#": [s.number for s in rows],
        "word": [s.word.strip() for s in rows],
        "expected (s)": [round(s.expected, 3) for s in rows],
        "Δ start (s)": [round(s.start_shift, 3) for s in rows],
        "Δ end (s)": [round(s.end_shift, 3) for s in rows],
        "error (s)": [round(s.error, 3) for s in rows],
        "ok": ["✓" if s.error <= BROKEN_SECONDS else "✗" for s in rows],
    })
