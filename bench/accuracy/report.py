"""RESULTS.md and results_<split>.json from bench_accuracy.py's runs: tables per kind of speech, source and mode,
the inserted-silence check, the confidence check and the goals of the real-speech issue."""

from __future__ import annotations

import json
import math
from pathlib import Path

REFERENCE, TUNED = "whisper-viz reference (official heads)", "whisper-viz tuned"
REAL = "real English (read + spontaneous)"
KIND_ORDER = (REAL, "read", "spontaneous", "other language", "synthetic")
GOAL_RATIO = 0.75  # tuned MAE at most this times the reference's on real speech (recognition)
GOAL_WITHIN_50MS = 0.5  # reach: half the real boundaries within 50 ms
GOAL_SILENCE_P90 = 0.040  # seconds
NOTES = Path(__file__).resolve().parent / "NOTES.md"


def _ms(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value * 1000:.0f}"


def _within(row: dict) -> str:
    return " / ".join("–" if not math.isfinite(w) else f"{w * 100:.0f}%" for w in row["within"])


def _find(rows, **match):
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def kinds_table(run: dict) -> list[str]:
    lines = [f"### {run['model']}", "",
             "| speech | mode | system | MAE ms | start / end ms | within 20 / 50 / 100 ms | boundaries | vs reference |",
             "|---|---|---|---:|---|---|---:|---:|"]
    for kind in KIND_ORDER:
        for mode in ("recognition", "forced"):
            reference = _find(run["rows"], system=REFERENCE, mode=mode, kind=kind)
            for row in sorted((r for r in run["rows"] if r["kind"] == kind and r["mode"] == mode),
                              key=lambda r: (r["system"] != REFERENCE, r["system"] != TUNED, r["system"])):
                if not row["boundaries"]:
                    continue
                ratio = f"×{row['mae'] / reference['mae']:.2f}" if reference and reference["boundaries"] else "–"
                name = f"**{row['system']}**" if row["system"] == TUNED else row["system"]
                lines.append(f"| {kind} | {mode} | {name} | **{_ms(row['mae'])}** | {_ms(row['start_mae'])} / "
                             f"{_ms(row['end_mae'])} | {_within(row)} | {row['boundaries']} | {ratio} |")
    return lines + [""]


def sources_table(run: dict) -> list[str]:
    lines = [f"#### {run['model']}: per source", "", "| source | mode | reference MAE ms | tuned MAE ms | boundaries |",
             "|---|---|---:|---:|---:|"]
    for source in sorted({r["source"] for r in run["sources"]}):
        for mode in ("recognition", "forced"):
            ref = _find(run["sources"], system=REFERENCE, mode=mode, source=source)
            tuned = _find(run["sources"], system=TUNED, mode=mode, source=source)
            if ref and tuned and ref["boundaries"]:
                lines.append(f"| {source} | {mode} | {_ms(ref['mae'])} | {_ms(tuned['mae'])} | {tuned['boundaries']} |")
    return lines + [""]


def silence_table(runs: list[dict]) -> list[str]:
    lines = ["| model | inserted | mode | system | words off > 0.5 s | median ms | p90 ms | off > 0.5 s, "
             "true place forgiven | p90 ms, forgiven | word edges |", "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        for cell in sorted(run.get("silence", ()), key=lambda c: (c["place"], c["mode"], c["system"] != REFERENCE)):
            place = "inside continuous speech" if cell["place"] == "inside" else "at an existing pause"
            lines.append(f"| {run['model']} | {place} | {cell['mode']} | {cell['system']} | {cell['off']} | "
                         f"{_ms(cell['median'])} | {_ms(cell['p90'])} | {cell['off_forgiven']} | "
                         f"{_ms(cell['p90_forgiven'])} | {cell['words']} |")
    return lines + [""]


def goals(runs: list[dict]) -> list[str]:
    out = []
    for run in runs:
        model = run["model"]
        for mode in ("recognition", "forced"):
            ref, tuned = (_find(run["rows"], system=s, mode=mode, kind=REAL) for s in (REFERENCE, TUNED))
            if ref and tuned and ref["boundaries"]:
                ratio = tuned["mae"] / ref["mae"]
                met = "met" if ratio <= GOAL_RATIO or mode == "forced" else "NOT met"
                out.append(f"- {model}, real speech, {mode}: tuned {_ms(tuned['mae'])} ms vs reference "
                           f"{_ms(ref['mae'])} ms = ×{ratio:.2f}" + (f" ({met}: goal ≤ ×{GOAL_RATIO})" if mode ==
                                                                   "recognition" else "")
                           + f"; within 50 ms {tuned['within'][1] * 100:.0f}% "
                           f"({'met' if tuned['within'][1] >= GOAL_WITHIN_50MS else 'not reached'}: reach ≥ 50%)")
        worse = [f"{r['kind']} ({r['mode']})" for r in run["rows"] if r["system"] == TUNED and r["boundaries"]
                 and (ref := _find(run["rows"], system=REFERENCE, mode=r["mode"], kind=r["kind"]))
                 and ref["boundaries"] and r["mae"] > ref["mae"]]
        out.append(f"- {model}: tuned worse than the reference on: {', '.join(worse) if worse else 'no kind of speech'}")
        for cell in run.get("silence", ()):
            if cell["system"] == TUNED and cell["place"] == "inside":
                ok = cell["off"] == 0 and cell["p90"] <= GOAL_SILENCE_P90
                out.append(f"- {model}, silence inside continuous speech, {cell['mode']}: {cell['off']} words off > "
                           f"0.5 s, p90 {_ms(cell['p90'])} ms ({'met' if ok else 'NOT met'}: goal 0 and ≤ 40 ms); "
                           f"forgiving words moved to their true place: {cell['off_forgiven']} off, p90 "
                           f"{_ms(cell['p90_forgiven'])} ms")
    return out


def write_results(runs: list[dict], meta: dict, folder: Path | None) -> str:
    """The RESULTS.md text; written (with results_<split>.json) into `folder` unless it is None."""
    lines = ["# Word-boundary accuracy", "",
             f"Measured {meta['date']} on {meta['machine']} CPU, {meta['threads']} thread(s)"
             + (f", analyses on {meta['device']} (fp16)" if meta.get("device", "cpu") != "cpu" else "")
             + f", torch {meta['torch']}; "
             f"real-speech split `{meta['split']}` (never used for tuning when it is `test`), synthetic test split. "
             f"Command: `{meta['command']}`. Lower MAE is better; starts and ends pooled.", "",
             "## Goals", "", *goals(runs), "", "## Per kind of speech", ""]
    for run in runs:
        lines += kinds_table(run) + sources_table(run)
    lines += ["## Silence inserted anywhere (2, 7, 13 s of digital zeros)", "", *silence_table(runs),
              "## Confidence", "", "| model | words marked | words | both edges within 100 ms |", "|---|---|---:|---:|"]
    for run in runs:
        for label, cell in sorted(run["confidence"].items()):
            lines.append(f"| {run['model']} | {label} | {cell['words']} | {cell['within'] * 100:.0f}% |")
    text = "\n".join(lines) + "\n\n" + (NOTES.read_text() if NOTES.exists() else "")
    if folder is not None:
        (folder / "RESULTS.md").write_text(text)
        (folder / f"results_{meta['split']}.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=1) + "\n")
    return text
