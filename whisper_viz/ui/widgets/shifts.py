"""The per-word shift table of a silence experiment, shared by the Silence lab and Teach pages."""

import pandas as pd

from ...experiments.silence import BROKEN_SECONDS, SilenceExperiment


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
