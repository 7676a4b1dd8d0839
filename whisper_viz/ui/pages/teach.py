"""The Teach page: a guided walkthrough of how Whisper's attention becomes word timings, on a bundled clip.

Six steps: encoder frames and decoder tokens; one head's attention; a good and a bad head by score;
DTW step by step; how an alignment-head dump is encoded; the silence experiment in one click. The
computing is in the core (analysis, scoring, alignment, experiments); this module arranges it.
"""

from __future__ import annotations

import base64
import gzip

import numpy as np
import pandas as pd
import streamlit as st

from ...alignment.presets import TUNED
from ...alignment.window import align_window
from ...constants import (
    ENCODER_FRAMES_PER_SECOND,
    FRAMES_PER_SECOND,
    N_MELS,
    SAMPLE_RATE,
)
from ...engine.audio import log_mel_spectrogram
from ...errors import WhisperVizError
from ...evaluation.scoring import score_heads
from ...experiments.silence import SilenceOptions
from ...figures.attention import attention_heatmap
from ...figures.experiments import (
    accumulated_cost,
    dtw_steps_figure,
    mask_figure,
    mel_figure,
)
from ...heads import OFFICIAL_HEADS, HeadSet
from ..resources import AnalysisRequest, kept_in_session, run_analysis, shared_analyses
from ..widgets.inputs import EXAMPLES_DIR
from ..widgets.shifts import shared_experiment, shift_frame, sweep_chart

CLIP = "pause7.flac"  # two sentences with a 7 s pause: every step has something to show
MODEL = "tiny.en"
STEPS = {
    "frames": "1 · Frames and tokens",
    "head": "2 · One head",
    "good_bad": "3 · Good and bad heads",
    "dtw": "4 · DTW, step by step",
    "dump": "5 · The heads dump",
    "silence": "6 · Silence in one click",
}
STEP, LAYER, HEAD, DTW_STEP, DUMP_TEXT = "teach_step", "teach_layer", "teach_head", "teach_dtw_step", "teach_dump"
SILENCE_RESULT = "teach_silence"
SILENCE_OPTIONS = SilenceOptions(durations=(0.0, 2.0, 7.0), after_words=(6,), heads=("official", TUNED.name))
GZIP_HEADER = ("magic 1f 8b", "method 08 = deflate", "flags", "mtime (4 bytes, little-endian)", "extra flags",
               "OS")


def render() -> None:
    """The whole page."""
    st.title("How Whisper's attention becomes word timings")
    transcript = (EXAMPLES_DIR / CLIP).with_suffix(".txt").read_text().strip()
    st.caption(f"A guided tour on the bundled clip {CLIP} with {MODEL}, aligned to its transcript: “{transcript}”")
    result = run_analysis(AnalysisRequest((EXAMPLES_DIR / CLIP).read_bytes(), CLIP, MODEL, "auto", None, transcript))
    if result is None:
        return
    st.session_state.setdefault(STEP, next(iter(STEPS)))
    step = st.radio("Step", list(STEPS), format_func=STEPS.get, key=STEP, horizontal=True,
                    label_visibility="collapsed")
    {"frames": _frames, "head": _one_head, "good_bad": _good_and_bad, "dtw": _dtw, "dump": _dump,
     "silence": _silence}[step](result)
    keys = list(STEPS)
    if step != keys[-1]:
        st.button("Next step →", key="teach_next", on_click=lambda: st.session_state.update({STEP: keys[keys.index(step) + 1]}))


def _memo(result, name: str, make):
    """One computation on this analysis, shared by every session (the tour's clip is the same for all)."""
    return shared_analyses().derived(result, ("teach", name), make)


def _frames(result) -> None:
    st.markdown(
        f"Whisper hears a **log-mel spectrogram**: {N_MELS} frequency bands, {FRAMES_PER_SECOND} frames per second. "
        f"The encoder's first convolution has stride 2, so each **encoder frame** covers 20 ms: "
        f"{ENCODER_FRAMES_PER_SECOND} per second, 1500 per 30 s window. This {result.duration:.1f} s clip has "
        f"**{result.windows[0].num_frames} encoder frames** of real audio.")
    st.audio(result.audio, sample_rate=SAMPLE_RATE)
    mel = _memo(result, "mel", lambda: log_mel_spectrogram(result.audio, N_MELS).cpu().numpy())
    st.plotly_chart(mel_figure(mel), key="teach_mel")
    tokens = result.windows[0].tokens
    st.markdown(
        f"The decoder writes the transcript as **{len(tokens) - 1} tokens** (pieces of words), then end-of-text. "
        "Each time it predicts a token, every cross-attention head spreads one unit of attention over the "
        "encoder frames: that is one **row** of the heatmaps in the next steps.")
    st.dataframe(pd.DataFrame({"row": range(len(tokens)), "token": [repr(t.text) for t in tokens],
                               "id": [t.id for t in tokens],
                               "probability": [round(t.probability, 3) for t in tokens]}),
                 hide_index=True, key="teach_tokens")


def _one_head(result) -> None:
    n_layers, n_heads = result.shape
    st.markdown(f"{MODEL} has {n_layers} decoder layers × {n_heads} heads. Pick one: each row is the attention of "
                "one token over time (a softmax: it sums to 1).")
    left, right = st.columns(2)
    layer = left.slider("Layer", 0, n_layers - 1, n_layers - 1, key=LAYER)
    head = right.slider("Head", 0, n_heads - 1, 2, key=HEAD)
    capture = result.windows[0]
    raw = capture.attention[layer, head].astype(np.float32)  # (tokens, frames)
    st.plotly_chart(attention_heatmap(raw, capture.tokens, title=f"layer {layer}, head {head} · raw softmax",
                                      value_label="softmax"), key="teach_head_map")


def _good_and_bad(result) -> None:
    scores = _memo(result, "scores", lambda: score_heads([result]))
    ranking = scores.ranking()
    best, worst = ranking[0], ranking[-1]
    st.markdown(
        "A head **aligns** when each token's attention sits on the frames where that token is spoken, moving "
        "left to right as the sentence goes on. The score combines how monotonic the path of peaks is, how "
        "concentrated each row is, and how well the head's own DTW path agrees with the official heads'.")
    capture = result.windows[0]
    for column, pair, what in zip(st.columns(2), (best, worst), ("best", "worst")):
        layer, head = pair
        with column:
            st.metric(f"The {what} head: {layer}:{head}", f"score {scores.score[layer, head]:.2f}",
                      help=f"monotonicity {scores.monotonicity[layer, head]:.2f}, "
                           f"concentration {scores.concentration[layer, head]:.2f}")
            st.plotly_chart(attention_heatmap(capture.attention[layer, head].astype(np.float32), capture.tokens,
                                              value_label="softmax"), key=f"teach_{what}_head")
    official = HeadSet(result.alignment_heads)
    st.caption(f"The official heads of {MODEL}: {official.to_text()} — their ranks here: "
               + ", ".join(str(ranking.index(p) + 1) for p in official.pairs()) + f" of {len(ranking)}.")


def _dtw(result) -> None:
    capture = result.windows[0]
    aligned = _memo(result, "aligned", lambda: align_window(capture, "official", official=result.alignment_heads))
    cost = -aligned.matrix  # (tokens, frames): high attention = cheap
    table = _memo(result, "accumulated", lambda: accumulated_cost(cost))
    path = (aligned.text_indices, aligned.time_indices)
    n_steps = len(path[0])
    st.markdown(
        "The official heads' attention is normalized per frame, median-filtered and averaged; its negative is "
        "the **cost** of saying token *i* at frame *j*. DTW fills a table with the cheapest total cost of "
        "reaching every cell from the top-left, moving **right** (same token, next frame), **down** (next token, "
        "same frame) or **diagonally**; then it walks back from the bottom-right corner along the cheapest "
        "moves. A token's word starts where the path first enters its row.")
    step = st.slider("Path steps shown", 1, n_steps, n_steps, key=DTW_STEP)
    row, frame = int(path[0][step - 1]), int(path[1][step - 1])
    st.caption(f"Step {step} of {n_steps}: token {row} {capture.tokens[row].text!r} at frame {frame} "
               f"({frame / ENCODER_FRAMES_PER_SECOND:.2f} s), cost {cost[row, frame]:.2f}, "
               f"cumulative {table[row, frame]:.1f}")
    labels = [t.text for t in capture.tokens]
    left, right = st.columns(2)
    with left:
        st.plotly_chart(dtw_steps_figure(cost, path, step, labels, title="cost = −attention"), key="teach_cost")
    with right:
        st.plotly_chart(dtw_steps_figure(table, path, step, labels, title="cumulative cost"), key="teach_table")


def _dump(result) -> None:
    official = HeadSet.official(MODEL) if MODEL in OFFICIAL_HEADS else HeadSet(result.alignment_heads)
    st.markdown("openai-whisper stores each model's alignment heads as one short string. Edit the heads to see it change.")
    st.session_state.setdefault(DUMP_TEXT, official.to_text())
    text = st.text_input("Heads (layer:head, …)", key=DUMP_TEXT)
    try:
        heads = HeadSet.from_text(text, result.shape)
    except WhisperVizError as error:
        st.warning(str(error))
        return
    if heads == official:
        heads = official  # keeps the original gzip timestamp, so the string is openai-whisper's own
    raw = np.ascontiguousarray(heads.mask).tobytes()
    dump = heads.to_dump()
    packed = base64.b85decode(dump)
    st.plotly_chart(mask_figure(heads.mask, title="1 · a bool grid (layers × heads)"), key="teach_mask")
    st.markdown(f"**2 · {len(raw)} bytes**, one per head, layer by layer: `{' '.join(str(b) for b in raw)}`")
    st.markdown(f"**3 · gzip** (level 9) packs them into {len(packed)} bytes: `{packed.hex(' ')}`")
    st.caption("The first 10 bytes are the gzip header: " + ", ".join(
        f"{name} = {packed[a:b].hex(' ')}" for name, (a, b) in
        zip(GZIP_HEADER, ((0, 2), (2, 3), (3, 4), (4, 8), (8, 9), (9, 10)))))
    st.markdown("**4 · base85** turns the bytes into printable text (5 characters per 4 bytes):")
    st.code(dump.decode("ascii"), language=None)
    round_trip = gzip.decompress(packed) == raw and HeadSet.from_dump(dump, *result.shape) == heads
    st.caption(("Decoding it gives the same grid back. " if round_trip else "") +
               "Paste it into openai-whisper with `model.set_alignment_heads(b\"…\")`.")


def _silence(result) -> None:
    st.markdown(
        f"Insert 2 s and 7 s of silence after word {SILENCE_OPTIONS.after_words[0]} "
        f"(“{result.words[SILENCE_OPTIONS.after_words[0] - 1].word.strip()}”) and align the same transcript again. "
        "Words after the insertion should move by exactly the silence; the plot shows how far each head set "
        "misses. The Silence lab page does this with any clip, point and duration.")
    if st.button("Run the silence experiment", type="primary", key="teach_run_silence"):
        with st.spinner("Aligning the original and two variants…"):
            try:
                transcript = (EXAMPLES_DIR / CLIP).with_suffix(".txt").read_text().strip()
                shared_experiment(result, SILENCE_RESULT, result.audio, transcript, MODEL, SILENCE_OPTIONS)
            except WhisperVizError as error:
                st.error(str(error))
    experiment = kept_in_session(SILENCE_RESULT)
    if experiment is None:
        return
    sweep_chart(experiment, "teach_sweep")
    durations = [v.duration for v in experiment.variants]
    st.dataframe(shift_frame(experiment, max(durations), "official"), hide_index=True, key="teach_shifts")
