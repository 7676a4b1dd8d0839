"""Plotly figures of a discovery report: each head's per-clip MAE over the corpus, and the candidate sets'
training and held-out MAE by size. No Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..evaluation.discovery_report import DiscoveryReport

CHOSEN_MARK = "★"
OFFICIAL_MARK = "◆"
ROW_HEIGHT = 16  # pixels per head in the distribution figure
TRAIN_COLOR, HELD_OUT_COLOR = "#1f77b4", "#d62728"


def _label(report: DiscoveryReport, pair: tuple[int, int]) -> str:
    marks = (CHOSEN_MARK if pair in report.chosen.heads else "") + (OFFICIAL_MARK if pair in report.official.heads else "")
    return f"{pair[0]}:{pair[1]} {marks}".strip()


def head_distribution_figure(report: DiscoveryReport) -> go.Figure:
    """One row per head, best pooled MAE at the top: the share of training clips in each per-clip MAE bin
    (colour), and the pooled MAE (white dot). ★ chosen set, ◆ official set."""
    ranking = report.ranking()
    counts = np.array([report.clip_mae_counts[pair] for pair in ranking], np.float64)  # (heads, bins)
    shares = counts / np.maximum(counts.sum(-1, keepdims=True), 1)
    edges_ms = 1000 * report.clip_mae_edges[:-1]  # left edges; the last bin is open-ended
    step = edges_ms[1] - edges_ms[0] if len(edges_ms) > 1 else 25.0
    centers = edges_ms + step / 2
    labels = [_label(report, pair) for pair in ranking]
    fig = go.Figure(go.Heatmap(
        z=shares, x=centers, y=labels, colorscale="Blues", zmin=0, colorbar=dict(title="share of clips", thickness=10),
        hovertemplate="head %{y}<br>clip MAE %{x:.0f} ms<br>%{z:.0%} of clips<extra></extra>"))
    pooled = [1000 * report.head_mae[pair] for pair in ranking]
    fig.add_trace(go.Scatter(x=np.minimum(pooled, centers[-1]), y=labels, mode="markers", name="pooled MAE",
                             marker=dict(color="white", size=7, line=dict(color="black", width=1)),
                             hovertemplate="head %{y}<br>pooled MAE %{customdata:.0f} ms<extra></extra>",
                             customdata=pooled))
    fig.update_layout(title="Each head alone: per-clip word-boundary MAE over the training clips",
                      xaxis_title=f"per-clip MAE (ms; the last column is ≥ {edges_ms[-1]:.0f})",
                      yaxis=dict(autorange="reversed", type="category"), showlegend=False,
                      height=120 + ROW_HEIGHT * len(ranking), margin=dict(l=70, r=20, t=50, b=50))
    return fig


def candidate_figure(report: DiscoveryReport) -> go.Figure:
    """Training and held-out MAE of every candidate by its size, the official set's as dashed lines, the chosen
    set circled."""
    fig = go.Figure()
    sizes = [len(c.heads) for c in report.candidates]
    for name, color, values in (("train", TRAIN_COLOR, [c.train_mae for c in report.candidates]),
                                ("held out", HELD_OUT_COLOR, [c.held_out_mae for c in report.candidates])):
        fig.add_trace(go.Scatter(x=sizes, y=1000 * np.asarray(values), mode="markers", name=f"candidates, {name}",
                                 marker=dict(color=color, size=7),
                                 text=[c.heads.to_text() for c in report.candidates],
                                 hovertemplate="%{x} heads: %{text}<br>%{y:.1f} ms<extra></extra>"))
    for name, color, value, where in (("official, train", TRAIN_COLOR, report.official.train_mae, "bottom right"),
                                      ("official, held out", HELD_OUT_COLOR, report.official.held_out_mae, "top right")):
        if np.isfinite(value):
            fig.add_hline(y=1000 * value, line=dict(color=color, dash="dash"), annotation_text=name,
                          annotation_position=where)
    chosen = report.chosen
    fig.add_trace(go.Scatter(x=[len(chosen.heads)] * 2, y=[1000 * chosen.train_mae, 1000 * chosen.held_out_mae],
                             mode="markers", name="chosen", hoverinfo="skip",
                             marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color="black", width=2))))
    fig.update_layout(title="Candidate head sets: word-boundary MAE by size", xaxis_title="heads in the set",
                      yaxis_title="MAE (ms)", height=360, margin=dict(l=60, r=20, t=50, b=50),
                      legend=dict(orientation="h", y=-0.25))
    return fig
