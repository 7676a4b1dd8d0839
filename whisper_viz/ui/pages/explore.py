"""The Explore page: bring audio, see where every head listens, toggle heads, compare sets, export.

The sidebar, the analysis and the view options run on full reruns. What reacts to a head toggle lives
in a fragment that reruns alone and re-uses the captured attention (and so does the A/B section).
"""

from __future__ import annotations

import streamlit as st

from ...alignment.options import NORMALIZATIONS
from ...alignment.presets import PRESETS, get_preset
from ...alignment.silence_cut import MIN_CUT_SECONDS
from ...constants import SAMPLE_RATE
from ...errors import AlignmentError
from ...figures.attention import head_mosaic
from ...heads import HeadSet
from ...results import AnalysisResult
from .. import state
from ..resources import run_analysis
from ..widgets import headgrid
from ..widgets.aligned import aligned_view, head_scores, thumbnails, warm_up
from ..widgets.compare import compare
from ..widgets.discovery import discovery
from ..widgets.exports import exports
from ..widgets.heatmap import heatmap, heatmap_figure
from ..widgets.inputs import audio_request
from ..widgets.words import word_table

ZOOM_STEP_SECONDS = 0.1


def render() -> None:
    """The whole page."""
    state.restore_from_url()
    request = audio_request()
    st.title("Where does Whisper listen?")
    result = run_analysis(request) if request is not None else None
    if result is None:
        if request is None:
            st.markdown("Pick an example, upload a clip or record one in the sidebar. The app transcribes it "
                        "(or aligns a transcript you paste), captures the cross-attention of **every** decoder "
                        "head, and shows how each head set aligns words to time.")
        state.publish_to_url({state.HEADS_A: headgrid.url_text()})
        return
    _summary(result, request.audio_name)
    heads_a = headgrid.current(result)
    options = _view_controls(result, audio_digest=request.key[0])
    warm_up(result, options.alignment)
    state.remember(state.SECTION, "heads")
    section = st.segmented_control("Section", list(state.SECTIONS), format_func=state.SECTIONS.get,
                                   key=state.SECTION, required=True, label_visibility="collapsed")
    state.keep(state.SECTION)
    if section == "compare":
        compare_workspace(result, options)
    elif section == "discovery":
        discovery(result)
    elif section == "export":
        _exports(result, heads_a, options, request.audio_name)
    else:
        heads_workspace(result, options)
    _publish(options)


def _summary(result: AnalysisResult, audio_name: str) -> None:
    mode = "forced alignment of your transcript" if result.forced else "transcribed"
    st.caption(f"{audio_name} · {result.duration:.1f} s · {result.model_name} · language {result.language} · "
               f"{mode} · {len(result.windows)} window(s) of 30 s")
    if result.no_speech:
        st.info("No speech was found in this audio, so there are no words to align.")
    else:
        st.markdown(f"> {result.text}")
    st.audio(result.audio, sample_rate=SAMPLE_RATE)


def _view_controls(result: AnalysisResult, audio_digest: str) -> state.ViewOptions:
    """View, normalization, filter, window and zoom widgets; returns the options they hold.

    `audio_digest` names the clip, so a zoom chosen on another clip is not carried over to this one.
    """
    columns = st.columns([4, 2, 2, 2.4, 2], vertical_alignment="bottom")
    state.remember(state.VIEW, "filtered")
    columns[0].segmented_control("Matrix", list(state.VIEWS), format_func=state.VIEWS.get, key=state.VIEW,
                                 required=True, help="Raw softmax of the selected heads; normalized across tokens; "
                                                     "normalized and median-filtered (what DTW runs on).")
    state.remember(state.NORMALIZATION, "reference")
    columns[1].selectbox("Normalization", list(NORMALIZATIONS), key=state.NORMALIZATION,
                         help="How each frame is normalized across tokens before the heads are averaged.")
    state.remember(state.MEDFILT, state.DEFAULT_MEDFILT)
    columns[2].select_slider("Median filter (frames)", state.MEDFILT_CHOICES, key=state.MEDFILT)
    state.remember(state.ALIGNER, "reference")
    columns[3].selectbox("Aligner", list(state.ALIGNERS), format_func=state.ALIGNERS.get, key=state.ALIGNER,
                         help=" ".join(f"{p.label}: {p.description}" for p in PRESETS.values())
                         + " A head preset of the same name picks the aligner's own heads.")
    state.remember(state.POSTPROCESS, True)
    heuristics = get_preset(st.session_state[state.ALIGNER]).options.postprocess  # the aligner uses them
    columns[4].toggle("Word heuristics", key=state.POSTPROCESS, disabled=not heuristics,
                      help="openai-whisper's word-duration and pause rules; off shows the raw DTW boundaries "
                           "(aligners that handle pauses themselves ignore them).")
    state.remember(state.WINDOW, 0)
    if st.session_state[state.WINDOW] >= len(result.windows):
        st.session_state[state.WINDOW] = 0
    window_labels = {w.index: f"{w.offset:.0f}–{w.offset + w.duration:.0f} s" for w in result.windows}
    window_column, zoom_column = st.columns([1, 5], vertical_alignment="bottom")
    window_column.selectbox("Window", list(window_labels), format_func=window_labels.get, key=state.WINDOW,
                            disabled=len(result.windows) == 1, on_change=lambda: st.session_state.pop(state.ZOOM, None))
    capture = result.windows[st.session_state[state.WINDOW]]
    start, end = state.zoom_bounds(capture.offset, capture.duration)
    state.remember(state.ZOOM)
    state.fit_zoom((audio_digest, capture.index), (start, end))
    if end - start > ZOOM_STEP_SECONDS:
        zoom_column.slider("Zoom (seconds)", min_value=start, max_value=end, step=ZOOM_STEP_SECONDS, key=state.ZOOM)
    for key in (state.VIEW, state.NORMALIZATION, state.MEDFILT, state.ALIGNER, state.POSTPROCESS, state.WINDOW,
                state.ZOOM):
        state.keep(key)
    return state.view_options((start, end))


@st.fragment
def heads_workspace(result: AnalysisResult, options: state.ViewOptions) -> None:
    """Heatmap, word table, mosaic and head controls of set A: reruns alone on every toggle."""
    if headgrid.needs_full_rerun():  # a preset changed a view option drawn outside this fragment
        st.rerun(scope="app")
    heads_a = headgrid.current(result)
    scores = head_scores(result, options.alignment)
    thumbs = thumbnails(result, options.window, options.display)
    try:
        view_a, message = aligned_view(result, heads_a, options), ""
    except AlignmentError as error:
        view_a, message = None, str(error)
    top_left, top_right = st.columns([3, 2])
    with top_right:  # first, so the table is not held up behind the heatmap in the browser
        timing = f" · aligned in {1000 * view_a.seconds:.0f} ms" if view_a else ""
        st.markdown(f"**Words** · head set A{timing}")
        if view_a and options.aligner == "tuned" and result.silence_cut is not None:
            cut = result.silence_cut
            st.caption(f"Timed on the clip without its {cut.seconds:.1f} s of digital silence ({len(cut.runs)} "
                       f"stretch(es) of {MIN_CUT_SECONDS:g} s or more), then mapped back; the heatmap shows the "
                       "clip as it is.",
                       help="Long digital silence changes what the encoder sees around it and can pull words "
                            "across it, so the tuned aligner times words where it has been taken out.")
        word_table(view_a.words if view_a else (), result.audio)
    with top_left:
        state.remember(state.INTERACTIVE, False)
        interactive = st.toggle("Interactive chart", key=state.INTERACTIVE,
                                help="Hover any cell for its token, time and value; zoom and pan; download a PNG. "
                                     "Off: a picture the page draws at once (hover a word or a token row for its "
                                     "text and times).")
        state.keep(state.INTERACTIVE)
        if view_a is None:
            st.warning(message)
        else:
            heatmap(result, view_a, options.zoom, title=f"Head set A · {len(heads_a)} heads", key="heatmap_a",
                    interactive=interactive)
    bottom_left, bottom_right = st.columns([3, 2])
    with bottom_left:
        st.markdown("**Every head** · click a thumbnail to toggle it")
        headgrid.mosaic(thumbs, heads_a, scores)
    with bottom_right:
        st.markdown("**Head set A**")
        headgrid.presets(result, scores)
        headgrid.checkbox_grid(heads_a)
    _publish(options)


@st.fragment
def compare_workspace(result: AnalysisResult, options: state.ViewOptions) -> None:
    """The A/B comparison: reruns alone when head set B or a reference changes."""
    try:
        view_a = aligned_view(result, headgrid.current(result), options)
    except AlignmentError as error:
        st.warning(f"Head set A cannot align: {error}")
        return
    compare(result, view_a, options.zoom)
    _publish(options)


def _publish(options: state.ViewOptions) -> None:
    state.publish_to_url({state.HEADS_A: headgrid.url_text(), state.ZOOM: options.zoom})


def _exports(result: AnalysisResult, heads_a: HeadSet, options: state.ViewOptions, audio_name: str) -> None:
    try:
        view_a = aligned_view(result, heads_a, options)
    except AlignmentError as error:
        st.warning(f"Nothing to export: {error}")
        return
    thumbs = thumbnails(result, options.window, options.display)
    scores = head_scores(result, options.alignment).score
    exports(result, view_a, audio_name, heatmap_figure(result, view_a, None, title=audio_name),
            head_mosaic(thumbs.images, heads_a.mask, scores, png=thumbs.png), thumbs.images)
