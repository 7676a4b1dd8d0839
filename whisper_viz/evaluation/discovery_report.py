"""A discovery report read back (the JSON `whisper-viz heads discover --json` writes), for browsing and export.

Everything a viewer needs: the chosen set, the official set and every candidate with their training and
held-out MAE, and per head its pooled MAE and the distribution of its per-clip MAE over the corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import HeadSetError, ReferenceFormatError
from ..heads import HeadSet


@dataclass(frozen=True)
class ReportedSet:
    name: str  # "chosen", "official" or "candidate k"
    heads: HeadSet
    train_mae: float  # seconds, pooled over the training clips; NaN if none scored
    held_out_mae: float  # seconds, pooled over the held-out clips; NaN if none


@dataclass(frozen=True, eq=False)
class DiscoveryReport:
    model: str
    engine: str
    chosen: ReportedSet
    official: ReportedSet
    candidates: tuple[ReportedSet, ...]
    head_mae: np.ndarray  # float64 (layers, heads): pooled MAE of each head alone, seconds (NaN: unscored)
    head_within_50ms: np.ndarray  # float64 (layers, heads)
    clip_mae_counts: np.ndarray  # int64 (layers, heads, bins): training clips by their MAE with the head alone
    clip_mae_edges: np.ndarray  # float64 (bins + 1,) seconds; the last edge is inf
    clips: dict  # counts: train, held_out, failed, ...
    failures: tuple[dict, ...]  # {"id", "audio", "error"}

    @property
    def shape(self) -> tuple[int, int]:
        return self.chosen.heads.shape

    def ranking(self) -> tuple[tuple[int, int], ...]:
        """Heads by pooled MAE, best first (unscored last)."""
        order = np.argsort(np.nan_to_num(self.head_mae, nan=np.inf).ravel(), kind="stable")
        return tuple((int(i) // self.shape[1], int(i) % self.shape[1]) for i in order)

    def sets(self) -> tuple[ReportedSet, ...]:
        """The chosen set, the official set, then every candidate."""
        return (self.chosen, self.official, *self.candidates)


def read_discovery_report(data: bytes | str, name: str = "report") -> DiscoveryReport:
    """Parse a report's JSON text; ReferenceFormatError names what is missing."""
    try:
        report = json.loads(data)
        shape = tuple(int(v) for v in report["shape"])
        per_head = report["per_head"]
        histogram = per_head["clip_mae_histogram"]
        edges = np.array([np.inf if e is None else float(e) for e in histogram["edges_s"]])
        result = DiscoveryReport(
            str(report["model"]), str(report.get("engine", "")), _set("chosen", report["chosen"], shape),
            _set("official", report["official"], shape),
            tuple(_set(f"candidate {i + 1}", c, shape) for i, c in enumerate(report["candidates"])),
            _grid(per_head["mae_s"], shape), _grid(per_head["within_50ms"], shape),
            np.asarray(histogram["counts"], np.int64).reshape(*shape, len(edges) - 1), edges,
            dict(report.get("clips", {})), tuple(report.get("failed", ())))
    except (ValueError, KeyError, TypeError, AttributeError, HeadSetError) as error:
        raise ReferenceFormatError(f"{name} is not a discovery report of `whisper-viz heads discover --json` "
                                   f"({type(error).__name__}: {error})") from None
    return result


def _set(name: str, entry: dict, shape: tuple[int, int]) -> ReportedSet:
    return ReportedSet(name, HeadSet.from_pairs(entry["heads"], shape), _seconds(entry["train"]["mae_s"]),
                       _seconds(entry["held_out"]["mae_s"]))


def _seconds(value) -> float:
    return float("nan") if value is None else float(value)


def _grid(values, shape: tuple[int, int]) -> np.ndarray:
    return np.array([[_seconds(v) for v in row] for row in values], np.float64).reshape(shape)
