"""The Silence lab page: insert silence into a clip and see how far each word's timing moves.

Pick a clip and its transcript, pick where the silence goes (click the waveform, or pick a word) and
how long it is; every variant is aligned in forced mode on the same transcript. The page shows the
original and a variant stacked on one time axis with both DTW paths, the per-word shift table and
the shift error against silence duration for each head set. All computing is in
`whisper_viz.experiments`; this module only arranges widgets.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from ...alignment.presets import PRESETS, REFERENCE
from ...alignment.silence_cut import MIN_CUT_SECONDS
from ...constants import SAMPLE_RATE
from ...errors import WhisperVizError
from ...experiments.silence import SilenceExperiment, SilenceOptions, window_view
from ...figures.experiments import stacked_heatmaps, waveform_figure
from ..resources import AnalysisRequest, kept_in_session, run_analysis
from ..widgets.inputs import EXAMPLES, EXAMPLES_DIR, UPLOAD_TYPES
from ..widgets.shifts import shared_experiment, shift_frame, sweep_chart

MODELS = ("tiny.en", "base")
DURATION_CHOICES = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 13.0, 20.0)  # seconds
DEFAULT_DURATIONS = (2.0, 7.0, 13.0)
PRESET_CHOICES = tuple(name for name in PRESETS if name != REFERENCE.name)  # "official" is the reference already
HEAD_CHOICES = ("official", *PRESET_CHOICES, "all", "upper")
DEFAULT_HEADS = ("official", *PRESET_CHOICES)
NOISE_RANGE_DB = (-90, -30)
DEFAULT_NOISE_DB = -60
DEFAULT_AFTER_WORD = 6  # pause7: after "here?", the end of the first sentence
# widget keys (prefixed: the Explore page has its own)
CLIP, UPLOAD, MODEL, TEXT = "silence_clip", "silence_upload", "silence_model", "silence_text"
MODE, WORD, AT = "silence_mode", "silence_word", "silence_at"
DURATIONS, NOISE, NOISE_DB, HEADS, CUSTOM = "silence_durations", "silence_noise", "silence_noise_db", \
    "silence_heads", "silence_custom_heads"
WAVE, SHOWN, SHOWN_HEADS, RESULT = "silence_wave", "silence_shown", "silence_shown_heads", "silence_result"
UPLOADED_CLIP = "upload…"


def render() -> None:
    """The whole page."""
    st.title("Silence lab")
    st.markdown("Insert silence into a clip and re-align the **same transcript**: a word after the insertion "
                "should move by exactly the silence inserted, a word before it not at all. Whatever else moves "
                "is the alignment being thrown off by the pause.")
    st.caption("The tuned aligner times words on each variant with its digital silence (stretches of "
               f"{MIN_CUT_SECONDS:g} s or more) taken out and maps them back, so digital silence cannot move "
               "its words; switch on *Fill with noise* to see how it copes with sound it cannot take out.")
    audio, name, text, model_name = _clip_inputs()
    if audio is None:
        return
    if not text.strip():
        st.info("Type the transcript of the clip: every variant is aligned to it (forced mode).")
        return
    original = run_analysis(AnalysisRequest(audio, name, model_name, "auto", None, text.strip()))
    if original is None:
        return
    options = _experiment_inputs(original)
    if options is None:
        return
    key = ("silence", hashlib.sha256(audio).hexdigest(), model_name, text.strip(), options)
    if st.button("Run the experiment", type="primary", key="silence_run"):
        _run(key, original, audio, text.strip(), model_name, options)
    experiment = kept_in_session(key) if st.session_state.get(RESULT) == key else None
    if experiment is None:
        st.caption(f"{1 + len(options.durations)} forced alignments will run (the original, then one per duration).")
        return
    _show(experiment)


def _clip_inputs():
    """Clip, model and transcript widgets: (audio bytes, name, transcript, model) or Nones."""
    left, middle, right = st.columns([2, 1, 4])
    clip = left.selectbox("Clip", [*EXAMPLES, UPLOADED_CLIP], key=CLIP)
    model_name = middle.selectbox("Model", MODELS, key=MODEL)
    if clip == UPLOADED_CLIP:
        uploaded = left.file_uploader("Audio file", type=list(UPLOAD_TYPES), key=UPLOAD)
        if uploaded is None:
            st.info("Upload a WAV, FLAC, OGG or MP3 file, and type its transcript.")
            return None, None, "", model_name
        audio, name, default_text = uploaded.getvalue(), uploaded.name, ""
    else:
        audio, name = (EXAMPLES_DIR / clip).read_bytes(), clip
        transcript = (EXAMPLES_DIR / clip).with_suffix(".txt")
        default_text = transcript.read_text().strip() if transcript.exists() else ""
    if st.session_state.get(f"{TEXT}_for") != clip:  # a new clip brings its own transcript
        st.session_state[TEXT] = default_text
        st.session_state[f"{TEXT}_for"] = clip
    text = right.text_area("Transcript (aligned in every variant)", key=TEXT, height=68)
    return audio, name, text, model_name


def _experiment_inputs(original) -> SilenceOptions | None:
    """Where, how long, what fill and which head sets; None when nothing valid is chosen."""
    words = original.words
    st.markdown("**Where** · click the waveform to insert at a time, or pick a word to insert after")
    event = st.plotly_chart(waveform_figure(original.audio, SAMPLE_RATE, words, _current_points(original)),
                            key=WAVE, on_select="rerun", selection_mode="points")
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if points and abs(points[0]["x"] - st.session_state.get(AT, -1.0)) > 1e-6:
        st.session_state[AT] = round(float(points[0]["x"]), 3)
        st.session_state[MODE] = "time"
    st.session_state.setdefault(MODE, "word")
    st.session_state.setdefault(AT, round(original.duration / 2, 3))
    left, right = st.columns([1, 2])
    mode = left.radio("Insert", ["word", "time"], key=MODE, horizontal=True,
                      format_func={"word": "after a word", "time": "at a time"}.get)
    if mode == "word":
        if not words:
            st.warning("The transcript gave no words to insert after.")
            return None
        numbers = list(range(1, len(words) + 1))
        if st.session_state.get(WORD) not in numbers:
            st.session_state[WORD] = min(DEFAULT_AFTER_WORD, len(words))
        after = right.selectbox("After word", numbers, key=WORD,
                                format_func=lambda n: f"{n} · {words[n - 1].word.strip()} (ends {words[n - 1].end:.2f} s)")
        where = dict(after_words=(after,))
    else:
        at = right.number_input("At (seconds)", min_value=0.0, max_value=float(original.duration), step=0.01,
                                key=AT, format="%.3f")
        where = dict(at=(float(at),))
    left, middle, right = st.columns([3, 2, 3])
    st.session_state.setdefault(DURATIONS, list(DEFAULT_DURATIONS))
    durations = left.multiselect("Silence durations (s)", DURATION_CHOICES, key=DURATIONS)
    noise = middle.toggle("Fill with noise", key=NOISE, help="Gaussian noise instead of digital silence (seeded).")
    noise_db = middle.slider("Noise level (dBFS)", *NOISE_RANGE_DB, value=DEFAULT_NOISE_DB, key=NOISE_DB,
                             disabled=not noise)
    st.session_state.setdefault(HEADS, list(DEFAULT_HEADS))
    heads = right.multiselect("Head sets", HEAD_CHOICES, key=HEADS,
                              help="official = the model's alignment heads with the reference aligner; "
                                   + "; ".join(f"{name} = the {name} preset" for name in PRESET_CHOICES)
                                   + "; all / upper = every head / the upper half of the layers.")
    custom = right.text_input("More heads (layer:head, …)", key=CUSTOM, placeholder="e.g. 2:1,3:4")
    if not durations:
        st.info("Pick at least one silence duration.")
        return None
    labels = tuple(dict.fromkeys(["official", *heads, *([custom.strip()] if custom.strip() else [])]))
    return SilenceOptions(durations=(0.0, *sorted(durations)), noise_db=float(noise_db) if noise else None,
                          heads=labels, **where)


def _current_points(original) -> tuple[float, ...]:
    if st.session_state.get(MODE, "word") == "time":
        return (float(st.session_state.get(AT, 0.0)),)
    number = st.session_state.get(WORD, DEFAULT_AFTER_WORD)
    return (original.words[number - 1].end,) if 0 < number <= len(original.words) else ()


def _run(key, original, audio: bytes, text: str, model_name: str, options: SilenceOptions) -> None:
    """Run the experiment (shared: the same clip, model, transcript and options run once for every session),
    with a progress bar; it stays in this session's memory."""
    total = 1 + len(options.durations)
    bar = st.progress(0.0, text=f"Aligning the original and {len(options.durations)} variants…")
    try:
        shared_experiment(original, key, audio, text, model_name, options,
                          progress=lambda done, _: bar.progress(done / total, text=f"Aligned {done} of {total}"))
    except WhisperVizError as error:
        bar.empty()
        st.error(str(error))
        return
    bar.empty()
    st.session_state[RESULT] = key


def _show(experiment: SilenceExperiment) -> None:
    labels = experiment.options.heads
    durations = [v.duration for v in experiment.variants]
    st.subheader("Shift error against silence duration")
    sweep = sweep_chart(experiment, "silence_sweep")
    broken = [p for p in sweep if p.broken]
    if broken:
        st.warning("Alignment broke (a word more than 0.5 s from where it belongs) for: " + "; ".join(
            f"{p.heads} at {p.duration:g} s ({p.misplaced} words{', past 30 s' if p.windows > 1 else ''})"
            for p in broken))
    left, right = st.columns(2)
    shown = left.selectbox("Variant", [d for d in durations if d > 0] or durations, key=SHOWN,
                           format_func=lambda d: f"{d:g} s of silence")
    shown_heads = right.selectbox("Head set", labels, key=SHOWN_HEADS)
    variant = next(v for v in experiment.variants if v.duration == shown)
    st.subheader("Original and variant on one time axis")
    try:
        before, after = window_view(experiment.original.result, shown_heads), window_view(variant.result, shown_heads)
        st.plotly_chart(stacked_heatmaps(before[0], before[1:], after[0], after[1:],
                                         experiment.original.result.windows[0].tokens, experiment.points, shown),
                        key="silence_stacked")
        if len(variant.result.windows) > 1:
            st.caption("The variant is longer than 30 s: only its first window is drawn.")
    except WhisperVizError as error:
        st.warning(str(error))
    st.subheader("Per-word shift")
    st.dataframe(shift_frame(experiment, shown, shown_heads), hide_index=True, key="silence_table")
    st.download_button("Download all shifts (JSON)", json.dumps(experiment.to_dict(), indent=1),
                       file_name="silence_shifts.json", mime="application/json", key="silence_json")
