"""The sidebar: bring audio (example, upload, microphone) and pick model, device, language and mode."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ...errors import WhisperVizError
from ...weights.registry import available_models
from .. import state
from ..resources import MAX_AUDIO_SECONDS, AnalysisRequest, shared_model
from ..server_options import offered_models, server_options, unknown_model_message

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"  # the repository's examples/ folder
EXAMPLES = {  # file in EXAMPLES_DIR -> what it holds (the first is the default); a .txt holds its transcript
    "pause7.flac": "Two sentences with a 7 s pause between them (9.7 s)",
    "hello.flac": "“Hello world. This is a test of the whisper visualizer.” (3.6 s)",
    "speech20.flac": "Four sentences of read speech (20 s)",
}
UPLOAD_TYPES = ("wav", "flac", "ogg", "mp3")
UPLOAD_KEY = "upload"
RECORDING_KEY = "recording"
AUTO_LANGUAGE = "auto"


def audio_request() -> AnalysisRequest | None:
    """Draw the sidebar; the request it describes, or None while there is no usable audio or model."""
    with st.sidebar:
        st.header("Audio")
        audio, name = _audio_source()
        st.header("Model")
        label, model_name, device = _model_choice()
        model = _load(label, model_name, device)
        language = _language(model)
        text = _transcript()
        st.caption(f"Clips up to {MAX_AUDIO_SECONDS / 60:.0f} min; audio stays in this browser session's memory.")
    if audio is None or model is None:
        return None
    return AnalysisRequest(audio, name, model_name, device, language, text, model_label=label)


def _audio_source() -> tuple[bytes | None, str]:
    state.remember(state.SOURCE, "example")
    source = st.radio("Source", list(state.SOURCES), format_func=state.SOURCES.get, key=state.SOURCE,
                      horizontal=True, label_visibility="collapsed")
    state.keep(state.SOURCE)
    if source == "example":
        state.remember(state.EXAMPLE, state.DEFAULT_EXAMPLE)
        if st.session_state[state.EXAMPLE] not in EXAMPLES:
            st.session_state[state.EXAMPLE] = state.DEFAULT_EXAMPLE
        name = st.selectbox("Example clip", list(EXAMPLES), key=state.EXAMPLE)
        state.keep(state.EXAMPLE)
        st.caption(EXAMPLES[name])
        return (EXAMPLES_DIR / name).read_bytes(), name
    if source == "upload":
        # no `type=`: Streamlit would raise on other suffixes before the page runs; the check below explains
        uploaded = st.file_uploader("Audio file (WAV, FLAC, OGG or MP3)", key=UPLOAD_KEY,
                                    help=f"At most {MAX_AUDIO_SECONDS / 60:.0f} minutes.")
        if uploaded is None:
            st.info("Upload a WAV, FLAC, OGG or MP3 file to begin.")
            return None, ""
        if Path(uploaded.name).suffix.lower().lstrip(".") not in UPLOAD_TYPES:
            st.error(f"{uploaded.name}: unsupported format; upload {', '.join(UPLOAD_TYPES).upper()} audio.")
            return None, ""
        return uploaded.getvalue(), uploaded.name
    recording = st.audio_input("Record from the microphone", key=RECORDING_KEY)
    if recording is None:
        st.info("Record a few seconds of speech to begin.")
        return None, ""
    return recording.getvalue(), "recording.wav"


def _model_choice() -> tuple[str, str, str]:
    """(name shown, what load_model is given, device): a name from the server's list, never a typed path."""
    offered = offered_models(server_options())
    installed = available_models()
    state.remember(state.MODEL, state.DEFAULT_MODEL)
    if st.session_state[state.MODEL] not in offered:  # from a link: one answer whatever it names
        st.warning(unknown_model_message(offered, state.DEFAULT_MODEL))
        st.session_state[state.MODEL] = state.DEFAULT_MODEL
    label = st.selectbox("Model", list(offered), key=state.MODEL,
                         format_func=lambda n: n if installed.get(n, True) else f"{n} (not installed)")
    state.keep(state.MODEL)
    state.remember(state.DEVICE, "auto")
    device = st.selectbox("Device", list(state.DEVICES), format_func=state.DEVICES.get, key=state.DEVICE)
    state.keep(state.DEVICE)
    return label, offered[label], device


def _load(label: str, name: str, device: str):
    """The shared model, or None with the reason shown in the sidebar."""
    try:
        with st.spinner(f"Loading {label}…"):
            return shared_model(name, device)
    except WhisperVizError as error:
        st.error(str(error))
    except Exception as error:  # noqa: BLE001 - a damaged model file must not take the page down
        st.error(f"Could not load model {label!r} ({type(error).__name__}: {error}).")
    return None


def _language(model) -> str | None:
    languages = sorted(model.tokenizer.language_ids) if model is not None else []
    options = [AUTO_LANGUAGE, *(languages or ["en"])]
    state.remember(state.LANGUAGE, AUTO_LANGUAGE)
    if st.session_state[state.LANGUAGE] not in options:
        st.session_state[state.LANGUAGE] = AUTO_LANGUAGE
    language = st.selectbox("Language", options, key=state.LANGUAGE,
                            format_func=lambda c: "auto-detect" if c == AUTO_LANGUAGE else c)
    state.keep(state.LANGUAGE)
    return None if language == AUTO_LANGUAGE else language


def _transcript() -> str | None:
    state.remember(state.FORCED, False)
    forced = st.toggle("Align a transcript I paste (forced mode)", key=state.FORCED,
                       help="Teacher-force your transcript instead of recognising speech, so alignment can be "
                            "studied without recognition errors.")
    state.keep(state.FORCED)
    if not forced:
        return None
    example_text = _example_transcript()
    if example_text and st.button("Use the example's transcript", key="use_example_text"):
        st.session_state[state.TRANSCRIPT] = example_text
    state.remember(state.TRANSCRIPT, "")
    text = st.text_area("Transcript", key=state.TRANSCRIPT, height=120)
    state.keep(state.TRANSCRIPT)
    return text.strip() or None


def _example_transcript() -> str | None:
    if st.session_state.get(state.SOURCE) != "example":
        return None
    path = EXAMPLES_DIR / Path(str(st.session_state.get(state.EXAMPLE, ""))).with_suffix(".txt").name
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None
